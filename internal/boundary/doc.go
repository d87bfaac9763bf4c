// Package boundary holds the tests that pin the module's package
// boundaries: ginsession, routes and store compile no database driver,
// store/postgresstore compiles no SQLite driver, a Postgres-only
// application builds and runs with CGO_ENABLED=0, and internal/origin
// imports no engine code. It has no code of its own.
package boundary
