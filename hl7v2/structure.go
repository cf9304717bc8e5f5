package hl7v2

import (
	"errors"
	"fmt"
	"strings"
	"sync"
)

// Group is one instance of a message structure group (HL7 v2.5.1 §2.5.2:
// ORDER_OBSERVATION, OBSERVATION, PATIENT, ...), or the whole message at the
// root. Items keeps segments and child groups in message order; segments the
// structure does not expect (Z segments, segments of later versions such as
// PRT, or ones out of place) are kept in the group where they occur and
// counted in Unexpected.
type Group struct {
	Name       string
	Items      []GroupItem
	Unexpected []*Segment
}

// GroupItem is either a segment or a child group.
type GroupItem struct {
	Segment *Segment
	Group   *Group
}

// Segment returns the group's first own segment named name, or nil.
func (g *Group) Segment(name string) *Segment {
	if g == nil {
		return nil
	}
	for _, it := range g.Items {
		if it.Segment != nil && it.Segment.Name() == name {
			return it.Segment
		}
	}
	return nil
}

// Segments returns the group's own segments named name (not those of child
// groups).
func (g *Group) Segments(name string) []*Segment {
	if g == nil {
		return nil
	}
	var out []*Segment
	for _, it := range g.Items {
		if it.Segment != nil && it.Segment.Name() == name {
			out = append(out, it.Segment)
		}
	}
	return out
}

// Groups returns the child groups named name, in order.
func (g *Group) Groups(name string) []*Group {
	if g == nil {
		return nil
	}
	var out []*Group
	for _, it := range g.Items {
		if it.Group != nil && it.Group.Name == name {
			out = append(out, it.Group)
		}
	}
	return out
}

// Group returns the first child group named name, or nil.
func (g *Group) Group(name string) *Group {
	if gs := g.Groups(name); len(gs) > 0 {
		return gs[0]
	}
	return nil
}

// Find returns every group named name at any depth, in message order, so
// that m's ORDER_OBSERVATION groups are found whatever PATIENT_RESULT they
// sit in.
func (g *Group) Find(name string) []*Group {
	if g == nil {
		return nil
	}
	var out []*Group
	for _, it := range g.Items {
		if it.Group != nil {
			if it.Group.Name == name {
				out = append(out, it.Group)
			}
			out = append(out, it.Group.Find(name)...)
		}
	}
	return out
}

// ErrUnknownStructure reports a message whose structure has no definition.
var ErrUnknownStructure = errors.New("hl7v2: unknown message structure")

// structureDefs are the abstract message syntaxes of HL7 v2.5.1 chapters 2,
// 3, 4, 7, 9, 10 and the immunization guide, trimmed of rarely used
// branches, with the v2.8 additions (PRT, ARV, patient and order
// observations) for ORU_R01, OUL_R22 and VXU_V04 so that later messages
// group the same way. Notation: NAME is a segment, <A|B> a choice of segments,
// GROUP( ... ) a group, [x] optional, {x} repeating. ORC is optional in
// the ORDER groups of ORM and OML (required by the standard) because real
// senders send OBR without ORC, or several OBR under one ORC.
var structureDefs = map[string]string{
	"ACK": `MSH [{SFT}] MSA [{ERR}]`,
	"ADT_A01": `MSH [{SFT}] EVN PID [PD1] [{ROL}] [{NK1}] PV1 [PV2] [{ROL}] [{DB1}] [{OBX}] [{AL1}] [{DG1}] [DRG]
		[{PROCEDURE(PR1 [{ROL}])}] [{GT1}] [{INSURANCE(IN1 [IN2] [{IN3}] [{ROL}])}] [ACC] [UB1] [UB2] [PDA]`,
	"ADT_A02": `MSH [{SFT}] EVN PID [PD1] [{ROL}] PV1 [PV2] [{ROL}] [{DB1}] [{OBX}] [PDA]`,
	"ADT_A03": `MSH [{SFT}] EVN PID [PD1] [{ROL}] [{NK1}] PV1 [PV2] [{ROL}] [{DB1}] [{AL1}] [{DG1}] [DRG]
		[{PROCEDURE(PR1 [{ROL}])}] [{OBX}] [{GT1}] [{INSURANCE(IN1 [IN2] [{IN3}] [{ROL}])}] [ACC] [PDA]`,
	"ADT_A06": `MSH [{SFT}] EVN PID [PD1] [{ROL}] [MRG] [{NK1}] PV1 [PV2] [{ROL}] [{DB1}] [{OBX}] [{AL1}] [{DG1}] [DRG]
		[{PROCEDURE(PR1 [{ROL}])}] [{GT1}] [{INSURANCE(IN1 [IN2] [{IN3}] [{ROL}])}] [ACC] [UB1] [UB2]`,
	"ADT_A09": `MSH [{SFT}] EVN PID [PD1] PV1 [PV2] [{DB1}] [{OBX}] [{DG1}]`,
	"ADT_A39": `MSH [{SFT}] EVN {PATIENT(PID [PD1] MRG [PV1])}`,
	"ORU_R01": `MSH [{SFT}] {PATIENT_RESULT([PATIENT(PID [PD1] [{PRT}] [{NTE}] [{NK1}] [{ARV}]
		[{PATIENT_OBSERVATION(OBX [{PRT}])}] [VISIT(PV1 [PV2] [{PRT}])])]
		{ORDER_OBSERVATION([ORC] [{PRT}] [{ORDER_DETAIL_OBSERVATION(OBX [{PRT}])}] [TXA]
		OBR [{NTE}] [{PRT}] [{TIMING_QTY(TQ1 [{TQ2}])}] [CTD] [{OBSERVATION(OBX [{PRT}] [{NTE}])}] [{FT1}] [{CTI}]
		[{SPECIMEN(SPM [{SPECIMEN_OBSERVATION(OBX [{PRT}])}])}])})} [DSC]`,
	"OUL_R22": `MSH [{SFT}] [NTE] [PATIENT(PID [PD1] [{PRT}] [{NTE}] [{PATIENT_OBSERVATION(OBX [{PRT}])}])]
		[VISIT(PV1 [PV2] [{PRT}])]
		{SPECIMEN(SPM [{SPECIMEN_OBSERVATION(OBX [{PRT}])}] [{CONTAINER(SAC [INV])}]
		{ORDER(OBR [{PRT}] [ORC] [{PRT}] [{ORDER_DETAIL_OBSERVATION(OBX [{PRT}])}] [TXA] [{NTE}]
		[{TIMING_QTY(TQ1 [{TQ2}])}] [{RESULT(OBX [TCD] [{SID}] [{NTE}] [{PRT}])}] [{CTI}])})} [DSC]`,
	"ORM_O01": `MSH [{NTE}] [PATIENT(PID [PD1] [{NTE}] [PATIENT_VISIT(PV1 [PV2])] [{INSURANCE(IN1 [IN2] [IN3])}] [GT1] [{AL1}])]
		{ORDER([ORC] [ORDER_DETAIL(<OBR|RQD|RQ1|RXO|ODS|ODT> [{NTE}] [CTD] [{DG1}] [{OBSERVATION(OBX [{NTE}])}])]
		[{FT1}] [{CTI}] [BLG])}`,
	"OML_O21": `MSH [{SFT}] [{NTE}] [PATIENT(PID [PD1] [{NTE}] [{NK1}] [PATIENT_VISIT(PV1 [PV2])]
		[{INSURANCE(IN1 [IN2] [IN3])}] [GT1] [{AL1}])]
		{ORDER([ORC] [{TIMING(TQ1 [{TQ2}])}] [OBSERVATION_REQUEST(OBR [{TCD}] [{NTE}] [{DG1}]
		[{OBSERVATION(OBX [TCD] [{NTE}])}] [{SPECIMEN(SPM [{OBX}] [{CONTAINER(SAC [OBX])}])}])] [{FT1}] [{CTI}] [BLG])}`,
	"OML_O33": `MSH [{SFT}] [{NTE}] [PATIENT(PID [PD1] [{NTE}] [PATIENT_VISIT(PV1 [PV2])]
		[{INSURANCE(IN1 [IN2] [IN3])}] [GT1] [{AL1}])]
		{SPECIMEN(SPM [{OBX}] [{SAC}] {ORDER([ORC] [{TIMING(TQ1 [{TQ2}])}] [OBSERVATION_REQUEST(OBR [{TCD}] [{NTE}] [{DG1}]
		[{OBSERVATION(OBX [TCD] [{NTE}])}])] [{FT1}] [{CTI}] [BLG])})}`,
	"RDE_O11": `MSH [{SFT}] [{NTE}] [PATIENT(PID [PD1] [{NTE}] [PATIENT_VISIT(PV1 [PV2])]
		[{INSURANCE(IN1 [IN2] [IN3])}] [GT1] [{AL1}])]
		{ORDER(ORC [{TIMING(TQ1 [{TQ2}])}] [ORDER_DETAIL(RXO [{NTE}] [{RXR}] [{RXC}])] RXE [{NTE}]
		[{TIMING_ENCODED(TQ1 [{TQ2}])}] [{RXR}] [{RXC}] [{OBSERVATION(OBX [{NTE}])}] [{FT1}] [BLG] [{CTI}])}`,
	"RDS_O13": `MSH [{SFT}] [{NTE}] [PATIENT(PID [PD1] [{NTE}] [{AL1}] [PATIENT_VISIT(PV1 [PV2])])]
		{ORDER(ORC [{TIMING(TQ1 [{TQ2}])}] [ORDER_DETAIL(RXO [{NTE}] [{RXR}] [{RXC}])]
		[ENCODING(RXE [{NTE}] [{TIMING_ENCODED(TQ1 [{TQ2}])}] [{RXR}] [{RXC}])] RXD [{NTE}] [{RXR}] [{RXC}]
		[{OBSERVATION(OBX [{NTE}])}] [{FT1}])}`,
	"SIU_S12": `MSH [{SFT}] SCH [{TQ1}] [{NTE}] [{PATIENT(PID [PD1] [PV1] [PV2] [{OBX}] [{DG1}])}]
		{RESOURCES(RGS [{SERVICE(AIS [{NTE}])}] [{GENERAL_RESOURCE(AIG [{NTE}])}] [{LOCATION_RESOURCE(AIL [{NTE}])}]
		[{PERSONNEL_RESOURCE(AIP [{NTE}])}])}`,
	"MDM_T01": `MSH [{SFT}] EVN PID PV1 [{COMMON_ORDER(ORC [{TIMING(TQ1 [{TQ2}])}] OBR [{NTE}])}] TXA [{CON}]`,
	"MDM_T02": `MSH [{SFT}] EVN PID PV1 [{COMMON_ORDER(ORC [{TIMING(TQ1 [{TQ2}])}] OBR [{NTE}])}] TXA [{CON}]
		{OBXNTE(OBX [{NTE}])}`,
	"VXU_V04": `MSH [{SFT}] PID [PD1] [{NK1}] [{ARV}] [PATIENT(PV1 [PV2])] [{GT1}] [{INSURANCE(IN1 [IN2] [IN3])}]
		[{PERSON_OBSERVATION(OBX [{PRT}] [{NTE}])}]
		[{ORDER(ORC [{PRT}] [{TIMING(TQ1 [{TQ2}])}] RXA [RXR] [{OBSERVATION(OBX [{PRT}] [{NTE}])}])}]`,
}

// structureAlias maps structures (and code_trigger pairs of messages
// without MSH-9.3, as v2.3 senders send) to a definition above.
var structureAlias = map[string]string{
	"ADT_A04": "ADT_A01", "ADT_A05": "ADT_A01", "ADT_A08": "ADT_A01", "ADT_A13": "ADT_A01", "ADT_A14": "ADT_A01",
	"ADT_A28": "ADT_A01", "ADT_A31": "ADT_A01", "ADT_A07": "ADT_A06", "ADT_A10": "ADT_A09", "ADT_A11": "ADT_A09",
	"ADT_A40": "ADT_A39", "ADT_A41": "ADT_A39", "ADT_A42": "ADT_A39", "ADT_A34": "ADT_A39", "ADT_A35": "ADT_A39",
	"ORU_R30": "ORU_R01", "ORU_R31": "ORU_R01", "ORU_R32": "ORU_R01",
	"RDE_O25": "RDE_O11", "RDE_O01": "RDE_O11", "RDS_O01": "RDS_O13",
	"SIU_S13": "SIU_S12", "SIU_S14": "SIU_S12", "SIU_S15": "SIU_S12", "SIU_S16": "SIU_S12", "SIU_S17": "SIU_S12",
	"SIU_S26": "SIU_S12", "MDM_T03": "MDM_T01", "MDM_T05": "MDM_T01", "MDM_T09": "MDM_T01",
	"MDM_T04": "MDM_T02", "MDM_T06": "MDM_T02", "MDM_T08": "MDM_T02", "MDM_T10": "MDM_T02",
	"ORM_O02": "ORM_O01", "OML_O01": "OML_O21", "VXU_V04": "VXU_V04",
}

type structNode struct {
	name     string   // segment or group name
	choices  []string // segment names this node accepts (segment node)
	children []*structNode
	optional bool
	repeat   bool
	first    map[string]bool // segments that can start this node
}

// compiled holds the parsed definitions; building it once is safe because
// the input is a constant table.
var compiled = sync.OnceValues(func() (map[string]*structNode, error) {
	out := make(map[string]*structNode, len(structureDefs))
	for name, def := range structureDefs {
		n, err := compileStructure(name, def)
		if err != nil {
			return nil, err
		}
		out[name] = n
	}
	return out, nil
})

// StructureName returns the abstract message structure of m: MSH-9.3 when
// present, else MSG.1_MSG.2 ("ADT_A04"), as it would be looked up.
func StructureName(m *Message) string {
	code, trigger, structure := m.Type()
	if structure != "" {
		return structure
	}
	if code == "ACK" {
		return "ACK"
	}
	return code + "_" + trigger
}

// Structure groups m's segments according to its message structure (MSH-9.3,
// or the code and trigger event when MSH-9.3 is empty). The result is the
// root group; unexpected segments are kept, never dropped, so the segments
// of the tree in order are exactly m.Segments. Messages of an unknown
// structure give ErrUnknownStructure.
func Structure(m *Message) (*Group, error) {
	defs, err := compiled()
	if err != nil {
		return nil, err
	}
	name := StructureName(m)
	def := defs[name]
	if def == nil {
		if a, ok := structureAlias[name]; ok {
			def = defs[a]
		}
	}
	if def == nil {
		if code, _, _ := m.Type(); code == "ADT" {
			def = defs["ADT_A01"]
		}
	}
	if def == nil {
		return nil, fmt.Errorf("%w: %q", ErrUnknownStructure, name)
	}
	known := map[string]bool{}
	collectNames(def, known)
	root := &Group{Name: name}
	pos := 0
	segs := m.Segments
	for pos < len(segs) {
		start := pos
		pos = matchGroup(def, segs, pos, root, known)
		if pos == start {
			// a segment in the wrong place at the top level: keep it and go on
			root.Items = append(root.Items, GroupItem{Segment: segs[pos]})
			root.Unexpected = append(root.Unexpected, segs[pos])
			pos++
		}
	}
	return root, nil
}

func collectNames(n *structNode, known map[string]bool) {
	for _, c := range n.choices {
		known[c] = true
	}
	for _, c := range n.children {
		collectNames(c, known)
	}
}

// matchGroup matches the children of def against segs from pos, appending
// to g, and returns the new position.
func matchGroup(def *structNode, segs []*Segment, pos int, g *Group, known map[string]bool) int {
	absorb := func() {
		for pos < len(segs) && !known[segs[pos].Name()] {
			g.Items = append(g.Items, GroupItem{Segment: segs[pos]})
			g.Unexpected = append(g.Unexpected, segs[pos])
			pos++
		}
	}
	for _, el := range def.children {
		absorb()
		for pos < len(segs) && el.first[segs[pos].Name()] {
			if el.children == nil {
				g.Items = append(g.Items, GroupItem{Segment: segs[pos]})
				pos++
			} else {
				child := &Group{Name: el.name}
				next := matchGroup(el, segs, pos, child, known)
				if next == pos {
					break
				}
				pos = next
				g.Items = append(g.Items, GroupItem{Group: child})
			}
			if !el.repeat {
				break
			}
			absorb()
		}
	}
	absorb()
	return pos
}

func compileStructure(name, def string) (*structNode, error) {
	toks := tokenize(def)
	root := &structNode{name: name}
	i, err := parseSeq(toks, 0, root)
	if err != nil {
		return nil, fmt.Errorf("hl7v2: structure %s: %w", name, err)
	}
	if i != len(toks) {
		return nil, fmt.Errorf("hl7v2: structure %s: unexpected %q", name, toks[i])
	}
	computeFirst(root)
	return root, nil
}

func tokenize(s string) []string {
	var toks []string
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			i++
		case strings.IndexByte("[]{}()", c) >= 0:
			toks = append(toks, string(c))
			i++
		case c == '<':
			j := strings.IndexByte(s[i:], '>')
			toks = append(toks, s[i:i+j+1])
			i += j + 1
		default:
			j := i
			for j < len(s) && (s[j] >= 'A' && s[j] <= 'Z' || s[j] >= '0' && s[j] <= '9' || s[j] == '_') {
				j++
			}
			if j == i {
				j++ // unknown character: a token of its own, rejected by parseSeq
			}
			toks = append(toks, s[i:j])
			i = j
		}
	}
	return toks
}

func parseSeq(toks []string, i int, parent *structNode) (int, error) {
	for i < len(toks) && toks[i] != ")" {
		n := &structNode{}
		closers := []string{}
		if toks[i] == "[" {
			n.optional = true
			closers = append(closers, "]")
			i++
		}
		if i < len(toks) && toks[i] == "{" {
			n.repeat = true
			closers = append(closers, "}")
			i++
		}
		if i >= len(toks) {
			return i, errors.New("unexpected end")
		}
		t := toks[i]
		i++
		switch {
		case strings.HasPrefix(t, "<"):
			n.choices = strings.Split(strings.Trim(t, "<>"), "|")
			n.name = n.choices[0]
		case i < len(toks) && toks[i] == "(":
			n.name = t
			var err error
			if i, err = parseSeq(toks, i+1, n); err != nil {
				return i, err
			}
			if i >= len(toks) || toks[i] != ")" {
				return i, fmt.Errorf("group %s not closed", t)
			}
			i++
		case validSegmentName(t):
			n.name = t
			n.choices = []string{t}
		default:
			return i, fmt.Errorf("unexpected %q", t)
		}
		for k := len(closers) - 1; k >= 0; k-- {
			if i >= len(toks) || toks[i] != closers[k] {
				return i, fmt.Errorf("missing %s after %s", closers[k], n.name)
			}
			i++
		}
		parent.children = append(parent.children, n)
	}
	return i, nil
}

func computeFirst(n *structNode) {
	n.first = map[string]bool{}
	if n.children == nil {
		for _, c := range n.choices {
			n.first[c] = true
		}
		return
	}
	for _, c := range n.children {
		computeFirst(c)
	}
	for _, c := range n.children {
		for k := range c.first {
			n.first[k] = true
		}
		if !c.optional {
			break
		}
	}
}
