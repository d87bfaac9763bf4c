package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/ginsession/ginsession/store/sqlitestore"
)

// noCgoAdvice is all the example prints when its database is SQLite (the
// default) in a binary built without cgo: CGO_ENABLED=0, or no C compiler
// found, which makes the go command build without cgo (so `go run
// ./example` on a machine without gcc). The example links store/sqlitestore,
// whose driver is C code; it cannot fall back to the pure-Go store without
// that driver becoming a dependency of the main module.
const noCgoAdvice = `example: the default SQLite store (store/sqlitestore) needs cgo, and this binary was built without it
(CGO_ENABLED=0, or no C compiler was found when it was built). Either:
  - install a C compiler and build with cgo: apt-get install gcc, then CGO_ENABLED=1 go run . (in example/)
  - or use Postgres or MariaDB: go run . -db postgres://USER:PASSWORD@HOST/DBNAME (or -db mysql://...)
  - or, in an application of your own, use the pure-Go SQLite store github.com/ginsession/ginsession/store/puresqlite
    (no cgo needed): see docs/sqlite-without-cgo.md
`

// reportFatal writes the error that ends the program to stderr: the advice
// above for a cgo-less SQLite, else one log line starting "example: " once
// (the errors of NewApp carry that prefix already).
func reportFatal(stderr io.Writer, logger *slog.Logger, err error) {
	if errors.Is(err, sqlitestore.ErrNoCgo) {
		fmt.Fprint(stderr, noCgoAdvice)
		return
	}
	logger.Error(fatalMessage(err))
}

// fatalMessage is err's text with the "example: " prefix exactly once.
func fatalMessage(err error) string {
	msg := err.Error()
	if !strings.HasPrefix(msg, "example: ") {
		msg = "example: " + msg
	}
	return msg
}
