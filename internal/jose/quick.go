package jose

// quickObject is the fast path of joseWalker.object for what ginsession
// mints: a byte scan without allocation. It is sure of its answer only for
// texts whose member names are plain ASCII without escapes (so raw bytes compare
// as decoded names do), with at most joseQuickNames names per object and
// at most joseQuickDepth levels; otherwise it says it is not sure and the
// token walk decides. It relies on what golang-jwt already checked: the
// text up to the end of its first value is valid JSON.
func quickObject(data []byte) (sure bool, err error) {
	if len(data) == 0 || data[0] != '{' {
		return true, ErrTrailing
	}
	end, sure, err := quickValue(data, 0, 0)
	if !sure || err != nil {
		return sure, err
	}
	if end != len(data) {
		return true, ErrTrailing
	}
	return true, nil
}

const (
	joseQuickNames = 16
	joseQuickDepth = 32
)

// quickValue scans the value at data[i:] and returns where it ends.
func quickValue(data []byte, i, depth int) (end int, sure bool, err error) {
	if i >= len(data) {
		return 0, false, nil
	}
	switch data[i] {
	case '{', '[':
		if depth >= joseQuickDepth {
			return 0, false, nil
		}
		return quickContainer(data, i, depth+1)
	case '"':
		end, _, ok := quickString(data, i)
		return end, ok, nil
	}
	// A number, true, false or null.
	j := i
	for j < len(data) && (data[j] >= '0' && data[j] <= '9' || data[j] >= 'a' && data[j] <= 'z' || data[j] == '-' || data[j] == '+' || data[j] == '.' || data[j] == 'E') {
		j++
	}
	return j, j > i, nil
}

// quickContainer scans the object or array opening at data[i].
func quickContainer(data []byte, i, depth int) (end int, sure bool, err error) {
	object := data[i] == '{'
	closer := byte(']')
	if object {
		closer = '}'
	}
	var names [joseQuickNames][2]int // this object's names: offsets in data
	n := 0
	i = quickSpace(data, i+1)
	if i < len(data) && data[i] == closer {
		return i + 1, true, nil
	}
	for {
		if object {
			if i >= len(data) || data[i] != '"' {
				return 0, false, nil
			}
			e, plain, ok := quickString(data, i)
			if !ok || !plain || n == len(names) {
				return 0, false, nil
			}
			name := data[i+1 : e-1]
			for _, o := range names[:n] {
				if string(data[o[0]:o[1]]) == string(name) {
					return 0, true, ErrDuplicate
				}
			}
			names[n] = [2]int{i + 1, e - 1}
			n++
			i = quickSpace(data, e)
			if i >= len(data) || data[i] != ':' {
				return 0, false, nil
			}
			i = quickSpace(data, i+1)
		}
		e, sure, err := quickValue(data, i, depth)
		if !sure || err != nil {
			return 0, sure, err
		}
		i = quickSpace(data, e)
		if i >= len(data) {
			return 0, false, nil
		}
		switch data[i] {
		case ',':
			i = quickSpace(data, i+1)
		case closer:
			return i + 1, true, nil
		default:
			return 0, false, nil
		}
	}
}

// quickString scans the string opening at data[i]; plain reports that it
// holds neither an escape nor a byte outside ASCII.
func quickString(data []byte, i int) (end int, plain, ok bool) {
	plain = true
	for j := i + 1; j < len(data); j++ {
		switch c := data[j]; {
		case c == '"':
			return j + 1, plain, true
		case c == '\\':
			plain = false
			j++ // the escaped character (a \uXXXX's digits need no care)
		case c < 0x20:
			return 0, false, false
		case c >= 0x80:
			plain = false
		}
	}
	return 0, false, false
}

func quickSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}
