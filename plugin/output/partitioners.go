package output

import (
	"hash/fnv"
	"math/rand/v2"

	"github.com/twmb/franz-go/pkg/kgo"
)

// fnv1a is the 32-bit FNV-1a hash Sarama partitions keys with by default.
func fnv1a(key []byte) uint32 {
	h := fnv.New32a()
	_, _ = h.Write(key) // a hash.Hash never fails to write
	return h.Sum32()
}

// randomPartitioner sends each record to a partition chosen at random, as
// Sarama's random partitioner does.
type randomPartitioner struct{}

func (randomPartitioner) ForTopic(string) kgo.TopicPartitioner { return randomPartitioner{} }

// RequiresConsistency is false: any partition will do, so a record can be
// moved to another one while a partition is unavailable.
func (randomPartitioner) RequiresConsistency(*kgo.Record) bool { return false }

func (randomPartitioner) Partition(_ *kgo.Record, n int) int { return rand.IntN(n) }
