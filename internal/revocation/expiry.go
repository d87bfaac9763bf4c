package revocation

// expiry is one entry's expiry, queued for pruning.
type expiry struct {
	at     int64 // UnixNano
	handle string
}

// expiryHeap is a min-heap on at (container/heap would box every element
// it pushes and pops). Growing it is amortised (append doubles), and so is
// shrinking it: pop moves it to a smaller array once it fills a quarter of
// its own.
type expiryHeap []expiry

func (h *expiryHeap) push(e expiry) {
	*h = append(*h, e)
	q := *h
	for i := len(q) - 1; i > 0; {
		parent := (i - 1) / 2
		if q[parent].at <= q[i].at {
			break
		}
		q[parent], q[i] = q[i], q[parent]
		i = parent
	}
}

func (h *expiryHeap) pop() expiry {
	q := *h
	top := q[0]
	last := len(q) - 1
	q[0] = q[last]
	q[last] = expiry{} // drop the handle for the GC
	q = q[:last]
	if cap(q) >= minShrink && len(q) < cap(q)/4 {
		q = append(make([]expiry, 0, 2*len(q)), q...)
	}
	for i := 0; ; {
		least, l, r := i, 2*i+1, 2*i+2
		if l < len(q) && q[l].at < q[least].at {
			least = l
		}
		if r < len(q) && q[r].at < q[least].at {
			least = r
		}
		if least == i {
			break
		}
		q[i], q[least] = q[least], q[i]
		i = least
	}
	*h = q
	return top
}
