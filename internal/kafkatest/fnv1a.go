package kafkatest

// FNV1a is the 32-bit FNV-1a hash written from its definition (offset
// basis 2166136261, prime 16777619), not with hash/fnv: the independent
// check of where Sarama's default partitioner puts a key.
func FNV1a(key []byte) uint32 {
	h := uint32(2166136261)
	for _, b := range key {
		h ^= uint32(b)
		h *= 16777619
	}
	return h
}

// SaramaPartition is the partition Sarama's default hash partitioner
// gives key among n: FNV-1a read as a signed 32-bit integer, modulo n,
// negated when negative.
func SaramaPartition(key []byte, n int32) int32 {
	p := int32(FNV1a(key)) % n
	if p < 0 {
		p = -p
	}
	return p
}
