package processor_test

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/sr"

	"github.com/ferry-connect/ferry/internal/kafkatest"
	"github.com/ferry-connect/ferry/serde"
	"github.com/ferry-connect/ferry/serde/confluent"
)

// The Protobuf example writes 1,000 orders framed as Confluent Protobuf:
// the schema registered with a reference to its import, which is
// registered under its import path; a reader with no schema of its own
// decodes every value back to its order.
func TestProtobufOrdersExample(t *testing.T) {
	c, reg := runExample(t, "protobuf_orders.yaml", "orders-proto")

	ctx := context.Background()
	cl, _ := sr.NewClient(sr.URLs(reg.URL()))
	ss, err := cl.SchemaByVersion(ctx, "orders-proto-value", -1)
	if err != nil || ss.Type != sr.TypeProtobuf {
		t.Fatalf("value schema: %+v %v", ss, err)
	}
	if want := []sr.SchemaReference{{Name: "shop/v1/money.proto", Subject: "shop/v1/money.proto", Version: 1}}; !reflect.DeepEqual(ss.References, want) {
		t.Fatalf("references %+v, want %+v", ss.References, want)
	}

	dec, err := serde.New(serde.Config{Type: "protobuf_confluent", DecodeOnly: true, JSON: serde.JSONOptions{ProtoNames: true}, Registry: serde.RegistryConfig{URLs: []string{reg.URL()}}})
	if err != nil {
		t.Fatal(err)
	}
	recs := kafkatest.ReadAll(t, c, "orders-proto")
	if len(recs) != 1000 {
		t.Fatalf("topic has %d records, want 1000", len(recs))
	}
	seen := map[string]bool{}
	for _, r := range recs {
		id, rest, err := confluent.ParseHeader(r.Value)
		if err != nil || id != ss.ID || rest[0] != 0 { // Order is the first message: the [0] shortcut
			t.Fatalf("value not framed with schema %d and index [0]: %x (%v)", ss.ID, r.Value[:min(8, len(r.Value))], err)
		}
		js, err := dec.Deserialize(ctx, serde.Target{Topic: "orders-proto"}, r.Value)
		if err != nil {
			t.Fatal(err)
		}
		var o struct {
			OrderID  string `json:"order_id"`
			Customer struct {
				ID   string `json:"id"`
				Tier string `json:"tier"`
			} `json:"customer"`
			Total struct {
				Currency string `json:"currency_code"`
				Units    string `json:"units"`
				Nanos    int    `json:"nanos"`
			} `json:"total"`
			Items     []map[string]any `json:"items"`
			CreatedAt string           `json:"created_at"`
		}
		if err := json.Unmarshal(js, &o); err != nil {
			t.Fatal(err)
		}
		var n int
		if _, err := fmt.Sscanf(o.OrderID, "ord-%06d", &n); err != nil {
			t.Fatalf("order %s: %v", js, err)
		}
		wantTier := ""
		if n%7 == 0 {
			wantTier = "TIER_GOLD"
		}
		wantUnits := strconv.Itoa(n % 500)
		if n%500 == 0 {
			wantUnits = "" // proto3 leaves zero values out
		}
		created := time.Date(2026, 1, 1, 0, 0, n, 0, time.UTC).Format(time.RFC3339)
		if string(r.Key) != o.Customer.ID || o.Customer.Tier != wantTier || o.Total.Currency != "EUR" || o.Total.Nanos != 990000000 ||
			o.Total.Units != wantUnits || len(o.Items) != n%3+1 || o.CreatedAt != created {
			t.Fatalf("order %d decoded as %s (key %s)", n, js, r.Key)
		}
		seen[o.OrderID] = true
	}
	if len(seen) != 1000 {
		t.Fatalf("%d distinct orders", len(seen))
	}
}
