package avro

import (
	"fmt"
	"sync"
	"unicode/utf8"

	"github.com/ferry-connect/ferry/serde"
	"github.com/ferry-connect/ferry/serde/internal/jsonw"
)

func (d *decoder) blocks(w, r *node, dst []byte) ([]byte, error) {
	open, shut := byte('['), byte(']')
	if w.kind == kMap {
		open, shut = '{', '}'
	}
	dst = append(dst, open)
	first := true
	total := int64(0)
	for {
		count, err := d.long()
		if err != nil {
			return nil, err
		}
		if count == 0 {
			return append(dst, shut), nil
		}
		if count < 0 {
			count = -count
			if _, err := d.long(); err != nil { // block size in bytes
				return nil, err
			}
		}
		total += count
		if total > int64(len(d.data)-d.pos)+maxZeroSizeItems {
			return nil, fmt.Errorf("%w: block of %d items at offset %d cannot fit in %d bytes", serde.ErrTruncated, count, d.pos, len(d.data)-d.pos)
		}
		for i := int64(0); i < count; i++ {
			if !first {
				dst = append(dst, ',')
			}
			first = false
			if w.kind == kMap {
				k, err := d.lengthPrefixed()
				if err != nil {
					return nil, err
				}
				if !utf8.Valid(k) {
					return nil, fmt.Errorf("map key at offset %d is not valid UTF-8", d.pos-len(k))
				}
				dst = d.str(dst, k)
				dst = append(dst, ':')
			}
			if dst, err = d.value(w.items, r.items, dst); err != nil {
				return nil, err
			}
		}
	}
}

// recordPlan maps a writer record onto a reader record.
type recordPlan struct {
	target  []int // per writer field: the reader field index, or -1 to skip
	missing []int // reader fields the writer lacks, filled from defaults
}

var plans sync.Map // [2]*node -> *recordPlan

func planFor(w, r *node) (*recordPlan, error) {
	key := [2]*node{w, r}
	if p, ok := plans.Load(key); ok {
		return p.(*recordPlan), nil
	}
	p := &recordPlan{target: make([]int, len(w.fields))}
	matched := make([]bool, len(r.fields))
	for i, wf := range w.fields {
		p.target[i] = -1
		if j, ok := r.fieldIdx[wf.name]; ok {
			p.target[i], matched[j] = j, true
			continue
		}
		for j, rf := range r.fields {
			for _, a := range rf.aliases {
				if a == wf.name && !matched[j] {
					p.target[i], matched[j] = j, true
				}
			}
		}
	}
	for j, ok := range matched {
		if !ok {
			if !r.fields[j].hasDef {
				return nil, fmt.Errorf("reader field %s.%s is not in the writer schema and has no default", r.name, r.fields[j].name)
			}
			p.missing = append(p.missing, j)
		}
	}
	plans.Store(key, p)
	return p, nil
}

func (d *decoder) record(w, r *node, dst []byte) ([]byte, error) {
	p, err := planFor(w, r)
	if err != nil {
		return nil, err
	}
	dst = append(dst, '{')
	first := true
	for i, wf := range w.fields {
		j := p.target[i]
		if j < 0 {
			if err := d.skip(wf.node); err != nil {
				return nil, fmt.Errorf("skipping %s.%s: %w", w.name, wf.name, err)
			}
			continue
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		rf := r.fields[j]
		dst = jsonw.String(dst, rf.name)
		dst = append(dst, ':')
		if dst, err = d.value(wf.node, rf.node, dst); err != nil {
			return nil, atPath("."+rf.name, err)
		}
	}
	for _, j := range p.missing {
		if !first {
			dst = append(dst, ',')
		}
		first = false
		rf := r.fields[j]
		dst = jsonw.String(dst, rf.name)
		dst = append(dst, ':')
		if d.opts.TaggedUnions && rf.node.kind == kUnion {
			// Defaults are stored bare; re-decode the encoded default so
			// a tagged union default gets its tag.
			sub := &decoder{data: rf.def, opts: d.opts}
			if dst, err = sub.value(rf.node, rf.node, dst); err != nil {
				return nil, err
			}
			continue
		}
		dst = append(dst, rf.defJSON...)
	}
	return append(dst, '}'), nil
}
