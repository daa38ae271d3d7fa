package protobuf

import (
	"sync"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// The fast path turns JSON into Protobuf wire bytes in one walk of the
// text, guided by a plan compiled from the message descriptor, without
// building a dynamic message: the way the Avro encoder works. It covers
// what JSON producers send: proto3 scalars, enums, nested and repeated
// messages, maps, oneofs, Timestamp and the wrappers. Anything else, and
// anything it is not sure of (a duplicate or unknown field, a null, a
// number in an unusual form, a value out of range, a second oneof member,
// a Timestamp not in plain UTC form), makes it give up, and the record
// goes through protojson, which then gives the answer or the error. So the
// fast path never decides what protojson would refuse; a differential fuzz
// test (FuzzProtobufFastPath) holds it to that.

// fastPlan is a message's plan, or nil when the message needs protojson.
type fastPlan struct {
	fields  map[string]*fastField // by JSON name and by .proto name
	byNum   map[protowire.Number]*fastField
	ordered []*fastField // in declaration order, as protojson writes them
	nfields int
	wrapper protoreflect.Kind // for a wrapper type, the kind of its value
	stamp   bool              // google.protobuf.Timestamp
}

type fastField struct {
	slow      bool // a field of a type only protojson reads (Duration, Struct, Any, …)
	index     int  // in the message's fields, for the duplicate check
	jsonName  string
	protoName string
	num       protowire.Number
	kind      protoreflect.Kind
	list      bool
	presence  bool // written even when zero
	oneof     int  // 1 + the oneof's index, or 0
	msg       *fastPlan
	enum      protoreflect.EnumValueDescriptors
	// Maps: the entry's key and value.
	key, val *fastField
}

// fastPlans caches a codec's plans, by message descriptor.
type fastPlans struct{ m sync.Map } // protoreflect.MessageDescriptor -> *fastPlan (nil: no fast path)

// of returns md's plan, or nil if md needs protojson.
func (fp *fastPlans) of(md protoreflect.MessageDescriptor) *fastPlan {
	if p, ok := fp.m.Load(md); ok {
		return p.(*fastPlan)
	}
	p := buildPlan(md, map[protoreflect.MessageDescriptor]*fastPlan{})
	fp.m.Store(md, p)
	return p
}

func buildPlan(md protoreflect.MessageDescriptor, building map[protoreflect.MessageDescriptor]*fastPlan) *fastPlan {
	if p, ok := building[md]; ok {
		return p // recursive messages share the plan being built
	}
	switch md.FullName() {
	case "google.protobuf.Timestamp":
		return &fastPlan{stamp: true}
	case "google.protobuf.DoubleValue", "google.protobuf.FloatValue", "google.protobuf.Int64Value",
		"google.protobuf.UInt64Value", "google.protobuf.Int32Value", "google.protobuf.UInt32Value",
		"google.protobuf.BoolValue", "google.protobuf.StringValue", "google.protobuf.BytesValue":
		return &fastPlan{wrapper: md.Fields().ByNumber(1).Kind()}
	}
	if md.ParentFile().Package() == "google.protobuf" || md.ParentFile().Syntax() != protoreflect.Proto3 || md.ExtensionRanges().Len() > 0 {
		return nil // other well-known types, proto2 and editions semantics: protojson
	}
	p := &fastPlan{fields: map[string]*fastField{}, byNum: map[protowire.Number]*fastField{}, nfields: md.Fields().Len()}
	building[md] = p
	fields := md.Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		f := planField(fd, building)
		f.index, f.jsonName, f.protoName = i, fd.JSONName(), string(fd.Name())
		p.fields[f.jsonName] = f
		p.fields[f.protoName] = f
		p.byNum[f.num] = f
		p.ordered = append(p.ordered, f)
	}
	return p
}

func planField(fd protoreflect.FieldDescriptor, building map[protoreflect.MessageDescriptor]*fastPlan) *fastField {
	f := &fastField{num: fd.Number(), kind: fd.Kind(), list: fd.IsList(), presence: fd.HasPresence()}
	if od := fd.ContainingOneof(); od != nil && !od.IsSynthetic() {
		f.oneof = od.Index() + 1
	}
	switch fd.Kind() {
	case protoreflect.GroupKind:
		f.slow = true
	case protoreflect.MessageKind:
		if fd.IsMap() {
			f.key = planField(fd.MapKey(), building)
			f.val = planField(fd.MapValue(), building)
			f.list = false
			f.slow = f.key.slow || f.val.slow
			return f
		}
		f.msg = buildPlan(fd.Message(), building)
		f.slow = f.msg == nil
	case protoreflect.EnumKind:
		f.enum = fd.Enum().Values()
		f.slow = fd.Enum().FullName() == "google.protobuf.NullValue"
	}
	return f
}

func wireType(k protoreflect.Kind) protowire.Type {
	switch k {
	case protoreflect.StringKind, protoreflect.BytesKind, protoreflect.MessageKind:
		return protowire.BytesType
	case protoreflect.FloatKind, protoreflect.Fixed32Kind, protoreflect.Sfixed32Kind:
		return protowire.Fixed32Type
	case protoreflect.DoubleKind, protoreflect.Fixed64Kind, protoreflect.Sfixed64Kind:
		return protowire.Fixed64Type
	}
	return protowire.VarintType
}
