package avro

// promotable reports whether data written as w can be read as r.
func promotable(w, r *node) bool {
	if w.kind == r.kind {
		switch w.kind {
		case kFixed:
			return w.size == r.size
		case kArray, kMap:
			return promotable(w.items, r.items)
		}
		return true
	}
	switch w.kind {
	case kInt:
		return r.kind == kLong || r.kind == kFloat || r.kind == kDouble
	case kLong:
		return r.kind == kFloat || r.kind == kDouble
	case kFloat:
		return r.kind == kDouble
	case kString:
		return r.kind == kBytes
	case kBytes:
		return r.kind == kString
	}
	return false
}

// pickBranch finds the reader union branch for a writer type: an exact
// kind (and name) first, then a promotion.
func pickBranch(w *node, r *node) (int, bool) {
	for i, b := range r.branches {
		if b.kind == w.kind && (w.name == "" || b.name == "" || b.name == w.name) && promotable(w, b) {
			return i, true
		}
	}
	for i, b := range r.branches {
		if promotable(w, b) {
			return i, true
		}
	}
	return 0, false
}
