// Package mock runs Ferry's components against librdkafka's mock cluster,
// a Kafka implementation written by other people (Confluent's client test
// suite runs on it): a second broker beside kfake. docs/testing.md says
// what it covers and what the mock cannot do.
package mock

/*
#include <stdint.h>
#include <stddef.h>
#include <stdlib.h>
typedef struct rd_kafka_mock_cluster_s rd_kafka_mock_cluster_t;
int rd_kafka_mock_partition_set_leader(rd_kafka_mock_cluster_t *mcluster, const char *topic, int32_t partition, int32_t broker_id);
void rd_kafka_mock_push_request_errors_array(rd_kafka_mock_cluster_t *mcluster, int16_t ApiKey, size_t cnt, const int *errors);
*/
import "C"

import (
	"fmt"
	"reflect"
	"unsafe"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
)

// Ctl reaches the parts of rdkafka_mock.h that confluent-kafka-go's
// MockCluster does not wrap: moving a partition's leader and queueing
// errors for a request type.
type Ctl struct {
	mc *C.rd_kafka_mock_cluster_t
}

// NewCtl takes mc's C handle. MockCluster keeps it in an unexported
// field; reading it by its offset is this test module's business alone.
func NewCtl(mc *kafka.MockCluster) (*Ctl, error) {
	f, ok := reflect.TypeOf(*mc).FieldByName("mcluster")
	if !ok || f.Type.Kind() != reflect.Pointer {
		return nil, fmt.Errorf("confluent-kafka-go's MockCluster has no mcluster pointer (its layout changed)")
	}
	p := *(*unsafe.Pointer)(unsafe.Add(unsafe.Pointer(mc), f.Offset))
	return &Ctl{mc: (*C.rd_kafka_mock_cluster_t)(p)}, nil
}

// SetLeader moves topic/partition's leader to broker.
func (c *Ctl) SetLeader(topic string, partition, broker int32) error {
	ct := C.CString(topic)
	defer C.free(unsafe.Pointer(ct))
	if code := C.rd_kafka_mock_partition_set_leader(c.mc, ct, C.int32_t(partition), C.int32_t(broker)); code != 0 {
		return fmt.Errorf("set leader: librdkafka error %d", int(code))
	}
	return nil
}

// PushErrors makes the next len(codes) requests of type key fail with
// codes, Kafka's error codes.
func (c *Ctl) PushErrors(key int16, codes ...int16) {
	errs := make([]C.int, len(codes))
	for i, e := range codes {
		errs[i] = C.int(e)
	}
	C.rd_kafka_mock_push_request_errors_array(c.mc, C.int16_t(key), C.size_t(len(errs)), &errs[0])
}
