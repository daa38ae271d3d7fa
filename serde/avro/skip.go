package avro

import (
	"fmt"

	"github.com/ferry-connect/ferry/serde"
)

// skip moves past a value the reader does not want.
func (d *decoder) skip(w *node) error {
	switch w.kind {
	case kNull:
		return nil
	case kBoolean:
		_, err := d.next(1)
		return err
	case kInt, kLong, kEnum:
		_, err := d.long()
		return err
	case kFloat:
		_, err := d.next(4)
		return err
	case kDouble:
		_, err := d.next(8)
		return err
	case kString, kBytes:
		_, err := d.lengthPrefixed()
		return err
	case kFixed:
		_, err := d.next(w.size)
		return err
	case kUnion:
		idx, err := d.long()
		if err != nil {
			return err
		}
		if idx < 0 || idx >= int64(len(w.branches)) {
			return fmt.Errorf("union branch %d out of range at offset %d", idx, d.pos)
		}
		return d.skip(w.branches[idx])
	case kRecord:
		for _, f := range w.fields {
			if err := d.skip(f.node); err != nil {
				return err
			}
		}
		return nil
	case kArray, kMap:
		total := int64(0)
		for {
			count, err := d.long()
			if err != nil {
				return err
			}
			if count == 0 {
				return nil
			}
			if count < 0 {
				size, err := d.long()
				if err != nil {
					return err
				}
				if _, err := d.next(int(size)); err != nil {
					return err
				}
				continue
			}
			total += count
			if total > int64(len(d.data)-d.pos)+maxZeroSizeItems {
				return fmt.Errorf("%w: block of %d items at offset %d", serde.ErrTruncated, count, d.pos)
			}
			for i := int64(0); i < count; i++ {
				if w.kind == kMap {
					if _, err := d.lengthPrefixed(); err != nil {
						return err
					}
				}
				if err := d.skip(w.items); err != nil {
					return err
				}
			}
		}
	}
	return fmt.Errorf("unsupported type %s", w.kind)
}
