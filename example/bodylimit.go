package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/gin-gonic/gin"
)

// maxBodyBytes bounds every request body the example accepts: its JSON
// bodies are a few hundred bytes (an email and a password, a note of at most
// 1000 characters, a cart item).
const maxBodyBytes = 64 << 10

// errBodyTooLarge is readJSON's error for a body over maxBodyBytes.
var errBodyTooLarge = fmt.Errorf("request body too large: at most %d bytes", maxBodyBytes)

// limitBody is the one limit in front of every route (init adds it before
// any route). A body that declares more than maxBodyBytes (Content-Length)
// is answered 413 before a byte of it is read, and the connection is closed
// rather than drained. Any other body, chunked ones included, is wrapped in
// http.MaxBytesReader: a handler reading past the limit gets an
// *http.MaxBytesError (readJSON turns it into errBodyTooLarge, a 413), and
// the server stops reading that connection. So no handler can hold more
// than maxBodyBytes of a body in memory, however it reads it.
func limitBody(c *gin.Context) {
	if c.Request.ContentLength > maxBodyBytes {
		c.Header("Connection", "close")
		message(c, http.StatusRequestEntityTooLarge, errBodyTooLarge.Error())
		return
	}
	// MaxBytesReader tells the server to close the connection once the
	// limit is hit, but only through net/http's own ResponseWriter, which
	// Gin's wraps.
	var w http.ResponseWriter = c.Writer
	if u, ok := w.(interface{ Unwrap() http.ResponseWriter }); ok {
		w = u.Unwrap()
	}
	c.Request.Body = http.MaxBytesReader(w, c.Request.Body, maxBodyBytes)
	c.Next()
}

// readJSON decodes the request's JSON body into v. The whole body is read
// (limitBody keeps it within maxBodyBytes) and must be one JSON value, so a
// short object followed by more than the limit of anything else is refused
// for its size, not accepted for its first bytes. A body over the limit is
// errBodyTooLarge; answer errors with refuseBody.
func readJSON(c *gin.Context, v any) error {
	body, err := io.ReadAll(c.Request.Body)
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return errBodyTooLarge
	case err != nil:
		return fmt.Errorf("reading the request body: %v", err)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("request body must be a JSON object: %v", err)
	}
	return nil
}

// refuseBody answers a request whose body was refused: 413 for a body over
// the limit, else 400 with err's text.
func refuseBody(c *gin.Context, err error) {
	if errors.Is(err, errBodyTooLarge) {
		message(c, http.StatusRequestEntityTooLarge, err.Error())
		return
	}
	message(c, http.StatusBadRequest, err.Error())
}
