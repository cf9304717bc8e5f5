package pdu

import (
	"encoding/binary"
	"fmt"
	"strings"
)

// ApplicationContext is the DICOM Application Context Name (PS3.7 Annex A.2.1).
const ApplicationContext = "1.2.840.10008.3.1.1.1"

// Item types of A-ASSOCIATE-RQ/AC variable fields (PS3.8 §9.3.2, Annex D).
const (
	ItemApplicationContext     = 0x10
	ItemPresentationContextRQ  = 0x20
	ItemPresentationContextAC  = 0x21
	ItemAbstractSyntax         = 0x30
	ItemTransferSyntax         = 0x40
	ItemUserInformation        = 0x50
	ItemMaximumLength          = 0x51
	ItemImplementationClassUID = 0x52
	ItemAsyncOperationsWindow  = 0x53
	ItemRoleSelection          = 0x54
	ItemImplementationVersion  = 0x55
	ItemExtendedNegotiation    = 0x56
	ItemUserIdentityRQ         = 0x58
	ItemUserIdentityAC         = 0x59
)

// AssociateRQ is the A-ASSOCIATE-RQ PDU (PS3.8 §9.3.2).
type AssociateRQ struct {
	ProtocolVersion      uint16 // 1
	CalledAE             string
	CallingAE            string
	ApplicationContext   string
	PresentationContexts []PresentationContextRQ
	UserInfo             UserInfo
}

// AssociateAC is the A-ASSOCIATE-AC PDU (PS3.8 §9.3.3). CalledAE and
// CallingAE echo the request's and "shall not be tested".
type AssociateAC struct {
	ProtocolVersion      uint16
	CalledAE             string
	CallingAE            string
	ApplicationContext   string
	PresentationContexts []PresentationContextAC
	UserInfo             UserInfo
}

// PresentationContextRQ is a proposed presentation context (item 0x20).
type PresentationContextRQ struct {
	ID               uint8 // odd, 1-255
	AbstractSyntax   string
	TransferSyntaxes []string
}

// Result is the outcome of one presentation context (PS3.8 Table 9-18).
type Result uint8

// Presentation context results.
const (
	Acceptance                   Result = 0
	UserRejection                Result = 1
	NoReason                     Result = 2
	AbstractSyntaxNotSupported   Result = 3
	TransferSyntaxesNotSupported Result = 4
)

func (r Result) String() string {
	switch r {
	case Acceptance:
		return "acceptance"
	case UserRejection:
		return "user-rejection"
	case NoReason:
		return "no-reason (provider rejection)"
	case AbstractSyntaxNotSupported:
		return "abstract-syntax-not-supported"
	case TransferSyntaxesNotSupported:
		return "transfer-syntaxes-not-supported"
	}
	return fmt.Sprintf("result %d", uint8(r))
}

// PresentationContextAC is the answer to one proposed context (item 0x21).
// TransferSyntax is meaningful only on Acceptance.
type PresentationContextAC struct {
	ID             uint8
	Result         Result
	TransferSyntax string
}

// UserInfo is the User Information item (0x50) and its sub-items.
type UserInfo struct {
	// MaxLength is the largest P-DATA-TF body the sender accepts; 0 means
	// no limit (PS3.8 §D.1).
	MaxLength                 uint32
	ImplementationClassUID    string
	ImplementationVersionName string
	// AsyncOps is the Asynchronous Operations Window (PS3.7 §D.3.3.3), or nil.
	AsyncOps       *AsyncOps
	RoleSelections []RoleSelection
	// ExtendedNegotiations are SOP Class Extended Negotiation sub-items.
	ExtendedNegotiations []ExtendedNegotiation
	// Identity is the User Identity sub-item of an RQ (PS3.7 §D.3.3.7), or nil.
	Identity *UserIdentity
	// IdentityResponse is the User Identity sub-item of an AC, or nil.
	IdentityResponse *UserIdentityResponse
	// Unknown keeps sub-items this package does not model, in order.
	Unknown []Item
}

// AsyncOps is the Asynchronous Operations Window sub-item (0x53).
type AsyncOps struct {
	Invoked, Performed uint16 // 0 means unlimited
}

// RoleSelection is the SCP/SCU Role Selection sub-item (0x54). SCU and SCP
// are the roles of the association requestor (PS3.7 §D.3.3.4).
type RoleSelection struct {
	SOPClassUID string
	SCU, SCP    bool
}

// ExtendedNegotiation is the SOP Class Extended Negotiation sub-item (0x56).
type ExtendedNegotiation struct {
	SOPClassUID string
	Info        []byte
}

// User identity types (PS3.7 Table D.3-14).
const (
	IdentityUsername         = 1
	IdentityUsernamePasscode = 2
	IdentityKerberos         = 3
	IdentitySAML             = 4
	IdentityJWT              = 5
)

// UserIdentity is the User Identity Negotiation sub-item of an RQ (0x58).
type UserIdentity struct {
	Type                      uint8
	PositiveResponseRequested bool
	Primary                   []byte // username, Kerberos ticket, SAML assertion or JWT
	Secondary                 []byte // passcode for type 2
}

// UserIdentityResponse is the User Identity sub-item of an AC (0x59).
type UserIdentityResponse struct {
	ServerResponse []byte
}

// Item is a raw item or sub-item.
type Item struct {
	Type  uint8
	Value []byte
}

// Type implements PDU.
func (*AssociateRQ) Type() Type { return TypeAssociateRQ }

// Type implements PDU.
func (*AssociateAC) Type() Type { return TypeAssociateAC }

func appendAE(dst []byte, ae string) []byte {
	var b [16]byte
	for i := range b {
		b[i] = ' '
	}
	copy(b[:], ae)
	return append(dst, b[:]...)
}

func appendFixed(dst []byte, version uint16, called, calling string) []byte {
	if version == 0 {
		version = 1
	}
	dst = binary.BigEndian.AppendUint16(dst, version)
	dst = append(dst, 0, 0)
	dst = appendAE(dst, called)
	dst = appendAE(dst, calling)
	return append(dst, make([]byte, 32)...)
}

func decodeFixed(body []byte, t Type) (version uint16, called, calling string, rest []byte, err error) {
	if len(body) < 68 {
		return 0, "", "", nil, fmt.Errorf("dicom/pdu: decode %s: body of %d bytes is shorter than 68: %w", t, len(body), ErrMalformed)
	}
	version = binary.BigEndian.Uint16(body)
	called = strings.TrimSpace(string(body[4:20]))
	calling = strings.TrimSpace(string(body[20:36]))
	return version, called, calling, body[68:], nil
}

func appendAppContext(dst []byte, name string) ([]byte, error) {
	if name == "" {
		name = ApplicationContext
	}
	return appendItem(dst, ItemApplicationContext, []byte(name))
}

// Encode implements PDU.
func (p *AssociateRQ) Encode(dst []byte) ([]byte, error) {
	dst, at := appendHeader(dst, TypeAssociateRQ)
	dst = appendFixed(dst, p.ProtocolVersion, p.CalledAE, p.CallingAE)
	dst, err := appendAppContext(dst, p.ApplicationContext)
	if err != nil {
		return nil, err
	}
	for _, pc := range p.PresentationContexts {
		var at int
		dst, at = beginItem(dst, ItemPresentationContextRQ)
		dst = append(dst, pc.ID, 0, 0, 0)
		if dst, err = appendItem(dst, ItemAbstractSyntax, []byte(pc.AbstractSyntax)); err != nil {
			return nil, err
		}
		for _, ts := range pc.TransferSyntaxes {
			if dst, err = appendItem(dst, ItemTransferSyntax, []byte(ts)); err != nil {
				return nil, err
			}
		}
		if dst, err = endItem(dst, at, ItemPresentationContextRQ); err != nil {
			return nil, err
		}
	}
	if dst, err = p.UserInfo.encode(dst); err != nil {
		return nil, err
	}
	return finish(dst, at, TypeAssociateRQ)
}

// Decode implements PDU.
func (p *AssociateRQ) Decode(body []byte) error {
	*p = AssociateRQ{}
	var rest []byte
	var err error
	p.ProtocolVersion, p.CalledAE, p.CallingAE, rest, err = decodeFixed(body, TypeAssociateRQ)
	if err != nil {
		return err
	}
	it := itemIter{b: rest, ctx: "decode A-ASSOCIATE-RQ"}
	for t, v, ok := it.next(); ok; t, v, ok = it.next() {
		switch t {
		case ItemApplicationContext:
			p.ApplicationContext = trimUID(v)
		case ItemPresentationContextRQ:
			if len(v) < 4 {
				return fmt.Errorf("dicom/pdu: decode A-ASSOCIATE-RQ: presentation context of %d bytes: %w", len(v), ErrMalformed)
			}
			pc := PresentationContextRQ{ID: v[0]}
			sub := itemIter{b: v[4:], ctx: "decode A-ASSOCIATE-RQ presentation context"}
			for st, sv, ok := sub.next(); ok; st, sv, ok = sub.next() {
				switch st {
				case ItemAbstractSyntax:
					pc.AbstractSyntax = trimUID(sv)
				case ItemTransferSyntax:
					pc.TransferSyntaxes = append(pc.TransferSyntaxes, trimUID(sv))
				}
			}
			if sub.err != nil {
				return sub.err
			}
			p.PresentationContexts = append(p.PresentationContexts, pc)
		case ItemUserInformation:
			if err := p.UserInfo.decode(v); err != nil {
				return err
			}
		}
	}
	return it.err
}

// Encode implements PDU.
func (p *AssociateAC) Encode(dst []byte) ([]byte, error) {
	dst, at := appendHeader(dst, TypeAssociateAC)
	dst = appendFixed(dst, p.ProtocolVersion, p.CalledAE, p.CallingAE)
	dst, err := appendAppContext(dst, p.ApplicationContext)
	if err != nil {
		return nil, err
	}
	for _, pc := range p.PresentationContexts {
		var at int
		dst, at = beginItem(dst, ItemPresentationContextAC)
		dst = append(dst, pc.ID, 0, byte(pc.Result), 0)
		if pc.TransferSyntax != "" {
			if dst, err = appendItem(dst, ItemTransferSyntax, []byte(pc.TransferSyntax)); err != nil {
				return nil, err
			}
		}
		if dst, err = endItem(dst, at, ItemPresentationContextAC); err != nil {
			return nil, err
		}
	}
	if dst, err = p.UserInfo.encode(dst); err != nil {
		return nil, err
	}
	return finish(dst, at, TypeAssociateAC)
}

// Decode implements PDU.
func (p *AssociateAC) Decode(body []byte) error {
	*p = AssociateAC{}
	var rest []byte
	var err error
	p.ProtocolVersion, p.CalledAE, p.CallingAE, rest, err = decodeFixed(body, TypeAssociateAC)
	if err != nil {
		return err
	}
	it := itemIter{b: rest, ctx: "decode A-ASSOCIATE-AC"}
	for t, v, ok := it.next(); ok; t, v, ok = it.next() {
		switch t {
		case ItemApplicationContext:
			p.ApplicationContext = trimUID(v)
		case ItemPresentationContextAC:
			if len(v) < 4 {
				return fmt.Errorf("dicom/pdu: decode A-ASSOCIATE-AC: presentation context of %d bytes: %w", len(v), ErrMalformed)
			}
			pc := PresentationContextAC{ID: v[0], Result: Result(v[2])}
			sub := itemIter{b: v[4:], ctx: "decode A-ASSOCIATE-AC presentation context"}
			for st, sv, ok := sub.next(); ok; st, sv, ok = sub.next() {
				if st == ItemTransferSyntax {
					pc.TransferSyntax = trimUID(sv)
				}
			}
			if sub.err != nil {
				return sub.err
			}
			p.PresentationContexts = append(p.PresentationContexts, pc)
		case ItemUserInformation:
			if err := p.UserInfo.decode(v); err != nil {
				return err
			}
		}
	}
	return it.err
}

func (u *UserInfo) encode(dst []byte) ([]byte, error) {
	dst, at := beginItem(dst, ItemUserInformation)
	var err error
	dst = append(dst, ItemMaximumLength, 0, 0, 4)
	dst = binary.BigEndian.AppendUint32(dst, u.MaxLength)
	if u.ImplementationClassUID != "" {
		if dst, err = appendItem(dst, ItemImplementationClassUID, []byte(u.ImplementationClassUID)); err != nil {
			return nil, err
		}
	}
	if u.AsyncOps != nil {
		dst = append(dst, ItemAsyncOperationsWindow, 0, 0, 4)
		dst = binary.BigEndian.AppendUint16(dst, u.AsyncOps.Invoked)
		dst = binary.BigEndian.AppendUint16(dst, u.AsyncOps.Performed)
	}
	for _, rs := range u.RoleSelections {
		var at int
		dst, at = beginItem(dst, ItemRoleSelection)
		if len(rs.SOPClassUID) > 0xFFFF {
			return nil, fmt.Errorf("dicom/pdu: role selection UID too long")
		}
		dst = binary.BigEndian.AppendUint16(dst, uint16(len(rs.SOPClassUID)))
		dst = append(dst, rs.SOPClassUID...)
		dst = append(dst, b2u(rs.SCU), b2u(rs.SCP))
		if dst, err = endItem(dst, at, ItemRoleSelection); err != nil {
			return nil, err
		}
	}
	if u.ImplementationVersionName != "" {
		if dst, err = appendItem(dst, ItemImplementationVersion, []byte(u.ImplementationVersionName)); err != nil {
			return nil, err
		}
	}
	for _, en := range u.ExtendedNegotiations {
		var at int
		dst, at = beginItem(dst, ItemExtendedNegotiation)
		if len(en.SOPClassUID) > 0xFFFF {
			return nil, fmt.Errorf("dicom/pdu: extended negotiation UID too long")
		}
		dst = binary.BigEndian.AppendUint16(dst, uint16(len(en.SOPClassUID)))
		dst = append(dst, en.SOPClassUID...)
		dst = append(dst, en.Info...)
		if dst, err = endItem(dst, at, ItemExtendedNegotiation); err != nil {
			return nil, err
		}
	}
	if id := u.Identity; id != nil {
		if len(id.Primary) > 0xFFFF || len(id.Secondary) > 0xFFFF {
			return nil, fmt.Errorf("dicom/pdu: user identity field too long")
		}
		var at int
		dst, at = beginItem(dst, ItemUserIdentityRQ)
		dst = append(dst, id.Type, b2u(id.PositiveResponseRequested))
		dst = binary.BigEndian.AppendUint16(dst, uint16(len(id.Primary)))
		dst = append(dst, id.Primary...)
		dst = binary.BigEndian.AppendUint16(dst, uint16(len(id.Secondary)))
		dst = append(dst, id.Secondary...)
		if dst, err = endItem(dst, at, ItemUserIdentityRQ); err != nil {
			return nil, err
		}
	}
	if r := u.IdentityResponse; r != nil {
		if len(r.ServerResponse) > 0xFFFF {
			return nil, fmt.Errorf("dicom/pdu: user identity response too long")
		}
		var at int
		dst, at = beginItem(dst, ItemUserIdentityAC)
		dst = binary.BigEndian.AppendUint16(dst, uint16(len(r.ServerResponse)))
		dst = append(dst, r.ServerResponse...)
		if dst, err = endItem(dst, at, ItemUserIdentityAC); err != nil {
			return nil, err
		}
	}
	for _, x := range u.Unknown {
		if dst, err = appendItem(dst, x.Type, x.Value); err != nil {
			return nil, err
		}
	}
	return endItem(dst, at, ItemUserInformation)
}

func b2u(b bool) byte {
	if b {
		return 1
	}
	return 0
}

// lengthPrefixed splits a 2-byte length-prefixed field off b.
func lengthPrefixed(b []byte, what string) ([]byte, []byte, error) {
	if len(b) < 2 {
		return nil, nil, fmt.Errorf("dicom/pdu: decode %s: %d bytes: %w", what, len(b), ErrMalformed)
	}
	n := int(binary.BigEndian.Uint16(b))
	if n > len(b)-2 {
		return nil, nil, fmt.Errorf("dicom/pdu: decode %s: length %d exceeds the %d bytes left: %w", what, n, len(b)-2, ErrMalformed)
	}
	return b[2 : 2+n], b[2+n:], nil
}

func (u *UserInfo) decode(v []byte) error {
	it := itemIter{b: v, ctx: "decode user information"}
	for t, sv, ok := it.next(); ok; t, sv, ok = it.next() {
		switch t {
		case ItemMaximumLength:
			if len(sv) != 4 {
				return fmt.Errorf("dicom/pdu: decode maximum length: %d bytes: %w", len(sv), ErrMalformed)
			}
			u.MaxLength = binary.BigEndian.Uint32(sv)
		case ItemImplementationClassUID:
			u.ImplementationClassUID = trimUID(sv)
		case ItemImplementationVersion:
			u.ImplementationVersionName = strings.TrimSpace(string(sv))
		case ItemAsyncOperationsWindow:
			if len(sv) != 4 {
				return fmt.Errorf("dicom/pdu: decode asynchronous operations window: %d bytes: %w", len(sv), ErrMalformed)
			}
			u.AsyncOps = &AsyncOps{Invoked: binary.BigEndian.Uint16(sv), Performed: binary.BigEndian.Uint16(sv[2:])}
		case ItemRoleSelection:
			uidb, rest, err := lengthPrefixed(sv, "role selection")
			if err != nil {
				return err
			}
			if len(rest) != 2 {
				return fmt.Errorf("dicom/pdu: decode role selection: %d role bytes: %w", len(rest), ErrMalformed)
			}
			u.RoleSelections = append(u.RoleSelections, RoleSelection{SOPClassUID: trimUID(uidb), SCU: rest[0] == 1, SCP: rest[1] == 1})
		case ItemExtendedNegotiation:
			uidb, rest, err := lengthPrefixed(sv, "extended negotiation")
			if err != nil {
				return err
			}
			u.ExtendedNegotiations = append(u.ExtendedNegotiations, ExtendedNegotiation{SOPClassUID: trimUID(uidb), Info: rest})
		case ItemUserIdentityRQ:
			if len(sv) < 2 {
				return fmt.Errorf("dicom/pdu: decode user identity: %d bytes: %w", len(sv), ErrMalformed)
			}
			id := &UserIdentity{Type: sv[0], PositiveResponseRequested: sv[1] == 1}
			prim, rest, err := lengthPrefixed(sv[2:], "user identity primary field")
			if err != nil {
				return err
			}
			id.Primary = prim
			if len(rest) > 0 {
				if id.Secondary, _, err = lengthPrefixed(rest, "user identity secondary field"); err != nil {
					return err
				}
			}
			u.Identity = id
		case ItemUserIdentityAC:
			resp, _, err := lengthPrefixed(sv, "user identity response")
			if err != nil {
				return err
			}
			u.IdentityResponse = &UserIdentityResponse{ServerResponse: resp}
		default:
			u.Unknown = append(u.Unknown, Item{Type: t, Value: sv})
		}
	}
	return it.err
}
