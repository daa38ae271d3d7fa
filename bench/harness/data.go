package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// orderSchema is the Avro schema of the benchmark records, for B2 and B4.
const orderSchema = `{"type":"record","name":"Order","namespace":"ferry.bench","fields":[
 {"name":"order_id","type":"long"},
 {"name":"customer_id","type":"string"},
 {"name":"sku","type":"string"},
 {"name":"qty","type":"int"},
 {"name":"price_cents","type":"int"},
 {"name":"ts","type":{"type":"long","logicalType":"timestamp-millis"}}]}`

// record is the i-th benchmark record: a JSON order of about 100 bytes,
// keyed by one of 10,000 customers. The bytes are the same on every run.
func record(dst []byte, i int) []byte {
	dst = append(dst, `{"order_id":`...)
	dst = strconv.AppendInt(dst, int64(1_000_000+i), 10)
	dst = append(dst, `,"customer_id":"cust-`...)
	dst = appendPadded(dst, (i*7919)%10_000, 5)
	dst = append(dst, `","sku":"SKU-`...)
	dst = appendPadded(dst, (i*104729)%100_000, 5)
	dst = append(dst, `","qty":`...)
	dst = strconv.AppendInt(dst, int64(1+i%9), 10)
	dst = append(dst, `,"price_cents":`...)
	dst = strconv.AppendInt(dst, int64(100+(i*31)%99_900), 10)
	dst = append(dst, `,"ts":`...)
	dst = strconv.AppendInt(dst, 1_763_800_000_000+int64(i), 10)
	return append(dst, '}')
}

func appendPadded(dst []byte, n, width int) []byte {
	s := strconv.Itoa(n)
	for i := len(s); i < width; i++ {
		dst = append(dst, '0')
	}
	return append(dst, s...)
}

// dataset is the benchmark input on disk, in the two shapes the issue
// names: batched (files of batch lines each, read whole and split by
// `unarchive: lines`, so the pipeline sees batches of that size) and
// unbatched (one file read line by line: one message per transaction).
type dataset struct {
	dir       string
	records   int
	batch     int
	bytes     int64    // total value bytes
	batchedGl string   // glob of the batched files
	files     []string // the batched files, in order
	single    string   // the unbatched file
}

// makeDataset writes the records under dir, unless a previous run left
// the same set there.
func makeDataset(dir string, records, batch int) (*dataset, error) {
	d := &dataset{dir: dir, records: records, batch: batch,
		batchedGl: filepath.Join(dir, "batched", "*.jsonl"),
		single:    filepath.Join(dir, "unbatched.jsonl")}
	for i := 0; i*batch < records; i++ {
		d.files = append(d.files, filepath.Join(dir, "batched", fmt.Sprintf("part-%05d.jsonl", i)))
	}
	var buf []byte
	for i := 0; i < records; i++ {
		buf = record(buf[:0], i)
		d.bytes += int64(len(buf))
	}
	stamp := filepath.Join(dir, fmt.Sprintf("ok-v2-%d-%d", records, batch))
	if _, err := os.Stat(stamp); err == nil {
		return d, nil
	}
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(dir, "batched"), 0o755); err != nil {
		return nil, err
	}
	all, err := os.Create(d.single)
	if err != nil {
		return nil, err
	}
	allW := bufio.NewWriterSize(all, 1<<20)
	for fi, name := range d.files {
		f, err := os.Create(name)
		if err != nil {
			return nil, err
		}
		w := bufio.NewWriterSize(f, 1<<17)
		// No newline after a file's last line: unarchive's lines format
		// would make an empty message of what follows it.
		for i := fi * batch; i < min((fi+1)*batch, records); i++ {
			if i > fi*batch {
				_ = w.WriteByte('\n')
			}
			buf = record(buf[:0], i)
			_, _ = w.Write(buf)
			_, _ = allW.Write(append(buf, '\n'))
		}
		if err := w.Flush(); err != nil {
			return nil, err
		}
		if err := f.Close(); err != nil {
			return nil, err
		}
	}
	if err := allW.Flush(); err != nil {
		return nil, err
	}
	if err := all.Close(); err != nil {
		return nil, err
	}
	return d, os.WriteFile(stamp, nil, 0o644)
}
