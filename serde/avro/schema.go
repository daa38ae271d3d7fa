package avro

import (
	"fmt"

	hamba "github.com/hamba/avro/v2"
)

// kind is an Avro type, compiled from a hamba/avro schema into the small
// closed set the encoder and decoder switch on.
type kind uint8

const (
	kNull kind = iota
	kBoolean
	kInt
	kLong
	kFloat
	kDouble
	kBytes
	kString
	kRecord
	kEnum
	kArray
	kMap
	kUnion
	kFixed
)

var kindNames = [...]string{"null", "boolean", "int", "long", "float", "double", "bytes", "string", "record", "enum", "array", "map", "union", "fixed"}

func (k kind) String() string { return kindNames[k] }

// logical is an Avro logical type that changes how JSON maps onto the
// underlying type.
type logical uint8

const (
	lNone logical = iota
	lDate
	lTimeMillis
	lTimeMicros
	lTimestampMillis
	lTimestampMicros
	lLocalTimestampMillis
	lLocalTimestampMicros
	lDecimal
	lUUID
)

// logicalNames are the logical types' names in schemas.
var logicalNames = [...]string{
	lNone: "", lDate: "date", lTimeMillis: "time-millis", lTimeMicros: "time-micros",
	lTimestampMillis: "timestamp-millis", lTimestampMicros: "timestamp-micros",
	lLocalTimestampMillis: "local-timestamp-millis", lLocalTimestampMicros: "local-timestamp-micros",
	lDecimal: "decimal", lUUID: "uuid",
}

// node is one compiled schema node. Named types that refer to themselves
// (a linked-list record) share one node, so the graph may have cycles.
type node struct {
	kind    kind
	logical logical
	name    string // full name of a record, enum or fixed
	size    int    // fixed size
	scale   int    // decimal scale
	prec    int    // decimal precision

	fields   []*field       // record fields, in schema order
	fieldIdx map[string]int // field name and aliases -> index

	symbols []string       // enum symbols
	symIdx  map[string]int // symbol -> index
	enumDef int            // default symbol index, -1 if none

	items    *node   // array items, map values
	branches []*node // union branches
}

type field struct {
	name    string
	aliases []string
	node    *node
	hasDef  bool
	def     []byte // the default, Avro-encoded, for encoding a missing field
	defJSON []byte // the default as JSON, for decoding with a reader field the writer lacks
}

// typeName is what a bare or tagged union calls a branch: the full name of
// a named type, the type name otherwise (Avro's JSON encoding rule).
func (n *node) typeName() string {
	if n.name != "" {
		return n.name
	}
	return n.kind.String()
}

// goavroTag is what linkedin/goavro's heirs call a union branch: a branch
// of a logical type is "<type>.<logicalType>" (long.timestamp-micros),
// unless it is a named type, which keeps its name.
func (n *node) goavroTag() string {
	if n.name == "" && n.logical != lNone {
		return n.kind.String() + "." + logicalNames[n.logical]
	}
	return n.typeName()
}

// nullBranch is the index of a union's null branch.
func (n *node) nullBranch() (int, bool) {
	for i, b := range n.branches {
		if b.kind == kNull {
			return i, true
		}
	}
	return 0, false
}

// compileSchema parses a schema with its own name cache, so two versions
// of one record (a writer and a reader schema) do not collide.
func compileSchema(text string) (*node, hamba.Schema, error) {
	return compileWithRefs(text, nil)
}

// compileWithRefs parses a schema whose named types may be defined in
// refs, the texts of the schemas it refers to, each after the ones it
// refers to itself (Confluent schema references): they are parsed into the
// same name cache first, so the schema can name their types.
func compileWithRefs(text string, refs []string) (*node, hamba.Schema, error) {
	cache := &hamba.SchemaCache{}
	for i, r := range refs {
		if _, err := hamba.ParseWithCache(r, "", cache); err != nil {
			return nil, nil, fmt.Errorf("invalid Avro schema in reference %d: %w", i+1, err)
		}
	}
	s, err := hamba.ParseWithCache(text, "", cache)
	if err != nil {
		return nil, nil, fmt.Errorf("invalid Avro schema: %w", err)
	}
	n, err := compile(s, map[string]*node{})
	if err != nil {
		return nil, nil, err
	}
	return n, s, nil
}

func compile(s hamba.Schema, named map[string]*node) (*node, error) {
	switch t := s.(type) {
	case *hamba.RefSchema:
		return compile(t.Schema(), named)
	case *hamba.NullSchema:
		return &node{kind: kNull}, nil
	case *hamba.PrimitiveSchema:
		return compilePrimitive(t)
	case *hamba.RecordSchema:
		return compileRecord(t, named)
	case *hamba.EnumSchema:
		if n, ok := named[t.FullName()]; ok {
			return n, nil
		}
		n := &node{kind: kEnum, name: t.FullName(), symbols: t.Symbols(), symIdx: map[string]int{}, enumDef: -1}
		for i, s := range t.Symbols() {
			n.symIdx[s] = i
		}
		if t.HasDefault() {
			n.enumDef = n.symIdx[t.Default()]
		}
		named[t.FullName()] = n
		return n, nil
	case *hamba.FixedSchema:
		if n, ok := named[t.FullName()]; ok {
			return n, nil
		}
		n := &node{kind: kFixed, name: t.FullName(), size: t.Size()}
		setLogical(n, t.Logical())
		named[t.FullName()] = n
		return n, nil
	case *hamba.ArraySchema:
		items, err := compile(t.Items(), named)
		if err != nil {
			return nil, err
		}
		return &node{kind: kArray, items: items}, nil
	case *hamba.MapSchema:
		vals, err := compile(t.Values(), named)
		if err != nil {
			return nil, err
		}
		return &node{kind: kMap, items: vals}, nil
	case *hamba.UnionSchema:
		n := &node{kind: kUnion}
		for _, b := range t.Types() {
			bn, err := compile(b, named)
			if err != nil {
				return nil, err
			}
			n.branches = append(n.branches, bn)
		}
		return n, nil
	}
	return nil, fmt.Errorf("unsupported schema %T", s)
}

// compilePrimitive compiles a primitive type and its logical type.
func compilePrimitive(t *hamba.PrimitiveSchema) (*node, error) {
	n := &node{}
	switch t.Type() {
	case hamba.Boolean:
		n.kind = kBoolean
	case hamba.Int:
		n.kind = kInt
	case hamba.Long:
		n.kind = kLong
	case hamba.Float:
		n.kind = kFloat
	case hamba.Double:
		n.kind = kDouble
	case hamba.Bytes:
		n.kind = kBytes
	case hamba.String:
		n.kind = kString
	case hamba.Null:
		n.kind = kNull
	default:
		return nil, fmt.Errorf("unsupported primitive type %s", t.Type())
	}
	setLogical(n, t.Logical())
	return n, nil
}

// compileRecord compiles a record once (named holds it before its fields
// are compiled, so a recursive record refers to itself), with each field's
// default encoded and decoded ahead.
func compileRecord(t *hamba.RecordSchema, named map[string]*node) (*node, error) {
	if n, ok := named[t.FullName()]; ok {
		return n, nil
	}
	n := &node{kind: kRecord, name: t.FullName(), fieldIdx: map[string]int{}}
	named[t.FullName()] = n
	for i, f := range t.Fields() {
		fn, err := compile(f.Type(), named)
		if err != nil {
			return nil, fmt.Errorf("%s.%s: %w", t.FullName(), f.Name(), err)
		}
		cf := &field{name: f.Name(), aliases: f.Aliases(), node: fn}
		if f.HasDefault() {
			cf.hasDef = true
			if cf.def, err = hamba.Marshal(f.Type(), f.Default()); err != nil {
				return nil, fmt.Errorf("%s.%s: default %v does not fit the field's type: %w", t.FullName(), f.Name(), f.Default(), err)
			}
			if cf.defJSON, err = decodeToJSON(fn, fn, cf.def); err != nil {
				return nil, fmt.Errorf("%s.%s: default: %w", t.FullName(), f.Name(), err)
			}
		}
		n.fields = append(n.fields, cf)
		n.fieldIdx[f.Name()] = i
	}
	return n, nil
}

func setLogical(n *node, l hamba.LogicalSchema) {
	if l == nil {
		return
	}
	switch l.Type() {
	case hamba.Date:
		n.logical = lDate
	case hamba.TimeMillis:
		n.logical = lTimeMillis
	case hamba.TimeMicros:
		n.logical = lTimeMicros
	case hamba.TimestampMillis:
		n.logical = lTimestampMillis
	case hamba.TimestampMicros:
		n.logical = lTimestampMicros
	case hamba.LocalTimestampMillis:
		n.logical = lLocalTimestampMillis
	case hamba.LocalTimestampMicros:
		n.logical = lLocalTimestampMicros
	case hamba.UUID:
		n.logical = lUUID
	case hamba.Decimal:
		if d, ok := l.(*hamba.DecimalLogicalSchema); ok {
			n.logical, n.scale, n.prec = lDecimal, d.Scale(), d.Precision()
		}
	}
}
