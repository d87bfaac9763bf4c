package ginsession_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// Outside review, round 3 (issue 21 item 5): characters that render as
// nothing (or as blank space) but are not in category Cc or Cf survive the
// metadata cleaning. Unicode calls them Default_Ignorable_Code_Point: the
// Hangul fillers (Lo), the combining grapheme joiner and variation
// selectors (Mn), Khmer inherent vowels, Mongolian free variation
// selectors, reserved default-ignorables. A device label "Alice's
// laptop\u3164" or "Alice\u115F's laptop" shows exactly like another
// label in "Your devices" while being different text, which is what the
// cleaning promises to prevent ("could make one label pass for another"),
// and a User-Agent made of them shows as an empty device.
//
// Safe outcome: every default-ignorable code point is dropped from a
// stored User-Agent and refused (400 "device label") in a label, as Cf
// characters already are. U+FFF9-FFFB and the tag characters (Cf) are
// included as controls: they hold today.
var invisibleNotCf = []struct {
	r    rune
	name string
	cf   bool // category Cf: already handled
}{
	{'\u115F', "HANGUL CHOSEONG FILLER (Lo)", false},
	{'\u1160', "HANGUL JUNGSEONG FILLER (Lo)", false},
	{'\u3164', "HANGUL FILLER (Lo)", false},
	{'\uFFA0', "HALFWIDTH HANGUL FILLER (Lo)", false},
	{'\u034F', "COMBINING GRAPHEME JOINER (Mn)", false},
	{'\uFE0F', "VARIATION SELECTOR-16 (Mn)", false},
	{'\U000E0100', "VARIATION SELECTOR-17 (Mn)", false},
	{'\u180B', "MONGOLIAN FREE VARIATION SELECTOR ONE (Mn)", false},
	{'\u17B4', "KHMER VOWEL INHERENT AQ (Mn)", false},
	{'\u2065', "reserved default-ignorable (Cn)", false},
	{'\uFFF9', "INTERLINEAR ANNOTATION ANCHOR (Cf)", true},
	{'\uFFFB', "INTERLINEAR ANNOTATION TERMINATOR (Cf)", true},
	{'\U000E0001', "LANGUAGE TAG (Cf)", true},
	{'\U000E0041', "TAG LATIN CAPITAL LETTER A (Cf)", true},
}

func TestMetadataAttackDefaultIgnorablesSurviveUserAgent(t *testing.T) {
	e := newEnv(t, nil)
	mountDevices(e)
	for i, ch := range invisibleNotCf {
		t.Run(fmt.Sprintf("U+%04X %s", ch.r, ch.name), func(t *testing.T) {
			c := e.newClient("header")
			ua := "Firefox" + string(ch.r) + "/140"
			expectStatus(t, c.do("POST", "/signin", fmt.Sprintf(`{"user":"ua%d"}`, i), "User-Agent", ua), 200, "")
			got := devicesOf(t, c)[0]["createdUA"].(string)
			if strings.ContainsRune(got, ch.r) {
				t.Errorf("stored User-Agent %+q keeps the invisible U+%04X; want it dropped (%q)", got, ch.r, "Firefox/140")
			}
		})
	}
}

func TestMetadataAttackDefaultIgnorablesAcceptedInLabels(t *testing.T) {
	e := newEnv(t, nil)
	mountDevices(e)
	for i, ch := range invisibleNotCf {
		t.Run(fmt.Sprintf("U+%04X %s", ch.r, ch.name), func(t *testing.T) {
			c := e.newClient("header")
			label := "Alice's laptop" + string(ch.r)
			lj, _ := json.Marshal(label)
			r := c.do("POST", "/signin", fmt.Sprintf(`{"user":"lb%d","label":%s}`, i, lj))
			if r.status != 400 || !strings.Contains(r.message(), "device label") {
				t.Errorf("label %+q (looks like %q): %d %s; want 400 device label", label, "Alice's laptop", r.status, r.raw)
			}
		})
	}
}
