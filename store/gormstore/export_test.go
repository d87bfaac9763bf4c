package gormstore

// CloseHandlesForTest closes the database handles under s without closing s,
// so tests can see how the store reports a database that stopped working.
func CloseHandlesForTest(s *GORMStore) {
	for _, db := range s.owned {
		_ = db.Close()
	}
}
