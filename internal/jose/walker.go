package jose

import (
	"bytes"
	"encoding/json"
)

// joseFrame is one open object or array of a joseWalker.
type joseFrame struct {
	object bool
	start  int                 // where this object's names begin in joseWalker.names
	set    map[string]struct{} // this object's names, once it has many
}

// joseWalker walks JSON texts token by token; its buffers are reused
// between texts.
type joseWalker struct {
	rd    bytes.Reader
	stack []joseFrame
	names []string
}

// object checks that data is exactly one JSON object (nothing before or
// after it, not even white space) in which no object, at any depth, has two
// members of the same name (compared after unescaping, as encoding/json
// compares them).
func (w *joseWalker) object(data []byte) error {
	if len(data) == 0 || data[0] != '{' {
		return ErrTrailing
	}
	w.stack, w.names = w.stack[:0], w.names[:0]
	w.rd.Reset(data)
	dec := json.NewDecoder(&w.rd)
	dec.UseNumber() // numbers stay text: no float parsing, no range errors
	wantName := false
	for {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{', '[':
				w.stack = append(w.stack, joseFrame{object: v == '{', start: len(w.names)})
				wantName = v == '{'
				continue
			default: // '}' or ']'
				top := w.stack[len(w.stack)-1]
				w.names = w.names[:top.start]
				w.stack = w.stack[:len(w.stack)-1]
				if len(w.stack) == 0 {
					if dec.InputOffset() != int64(len(data)) {
						return ErrTrailing
					}
					return nil
				}
				wantName = w.stack[len(w.stack)-1].object
				continue
			}
		case string:
			if wantName {
				if err := w.name(v); err != nil {
					return err
				}
				wantName = false
				continue
			}
		}
		// A scalar value: in an object, a name comes next.
		wantName = w.stack[len(w.stack)-1].object
	}
}

// name records a member name of the innermost object, refusing a repeat.
func (w *joseWalker) name(k string) error {
	top := &w.stack[len(w.stack)-1]
	if top.set != nil {
		if _, dup := top.set[k]; dup {
			return ErrDuplicate
		}
		top.set[k] = struct{}{}
		return nil
	}
	for _, s := range w.names[top.start:] {
		if s == k {
			return ErrDuplicate
		}
	}
	w.names = append(w.names, k)
	if len(w.names)-top.start > joseSmallObject {
		top.set = make(map[string]struct{}, 2*joseSmallObject)
		for _, s := range w.names[top.start:] {
			top.set[s] = struct{}{}
		}
		w.names = w.names[:top.start]
	}
	return nil
}
