package supertokens

import (
	"fmt"
	"io"
	"maps"
	"slices"
)

// Counts are what happened to the rows of one kind.
type Counts struct {
	Read           int // rows read from the core
	Imported       int // stored by this run (in a dry run: would be stored)
	AlreadyPresent int // stored by an earlier run (not counted in a dry run)
	Skipped        int // not imported; Report.Skipped says why
}

// Skip is one row Import did not take, and why.
type Skip struct {
	What   string // "session <handle>", "dynamic key d-…", …
	Reason string
}

// Report is what an Import did.
type Report struct {
	DryRun   bool
	AppID    string
	Tenants  map[string]int // sessions per tenant in the core's app, selected or not
	Sessions Counts
	Keys     Counts // access-token keys and the refresh-token key

	// Skipped counts the rows not imported by reason ("expired",
	// "tenant not selected", "jwt_user_payload is not a JSON object", …).
	Skipped map[string]int
	// Examples holds the first skips of each reason (at most 5 a reason).
	Examples []Skip

	// Cursor is the position after the last batch written: give it back
	// as Options.After to go on from there.
	Cursor Cursor
}

// Cursor is a position in the core's session_info, by tenant then handle.
type Cursor struct{ Tenant, Handle string }

// String writes the cursor as the command's -after flag takes it.
func (c Cursor) String() string {
	if c == (Cursor{}) {
		return ""
	}
	return c.Tenant + "/" + c.Handle
}

func (r *Report) skip(what, reason string) {
	if r.Skipped == nil {
		r.Skipped = map[string]int{}
	}
	r.Skipped[reason]++
	if r.Skipped[reason] <= 5 {
		r.Examples = append(r.Examples, Skip{What: what, Reason: reason})
	}
}

// Print writes the report for a person.
func (r *Report) Print(w io.Writer) {
	mode := "import"
	if r.DryRun {
		mode = "dry run (nothing written)"
	}
	fmt.Fprintf(w, "SuperTokens core app %q: %s\n", r.AppID, mode)
	for _, t := range slices.Sorted(maps.Keys(r.Tenants)) {
		fmt.Fprintf(w, "  tenant %-20s %d sessions\n", t, r.Tenants[t])
	}
	for _, c := range []struct {
		name string
		c    Counts
	}{{"sessions", r.Sessions}, {"keys", r.Keys}} {
		fmt.Fprintf(w, "%-9s read %d, imported %d, already present %d, skipped %d\n",
			c.name, c.c.Read, c.c.Imported, c.c.AlreadyPresent, c.c.Skipped)
	}
	for _, reason := range slices.Sorted(maps.Keys(r.Skipped)) {
		fmt.Fprintf(w, "skipped   %6d  %s\n", r.Skipped[reason], reason)
	}
	for _, e := range r.Examples {
		fmt.Fprintf(w, "  e.g. %s: %s\n", e.What, e.Reason)
	}
	if c := r.Cursor.String(); c != "" {
		fmt.Fprintf(w, "cursor    %s\n", c)
	}
}
