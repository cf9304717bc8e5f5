package pdu

import "fmt"

// AssociateRJ is the A-ASSOCIATE-RJ PDU (PS3.8 §9.3.4).
type AssociateRJ struct {
	Result uint8 // 1 rejected-permanent, 2 rejected-transient
	Source uint8 // 1 service-user, 2 service-provider (ACSE), 3 service-provider (presentation)
	Reason uint8 // depends on Source, see PS3.8 Table 9-21
}

// Reject results, sources and reasons (PS3.8 Table 9-21).
const (
	RejectPermanent = 1
	RejectTransient = 2

	SourceServiceUser                 = 1
	SourceServiceProviderACSE         = 2
	SourceServiceProviderPresentation = 3

	// Reasons for SourceServiceUser.
	ReasonNoReason                       = 1
	ReasonApplicationContextNotSupported = 2
	ReasonCallingAENotRecognized         = 3
	ReasonCalledAENotRecognized          = 7
	// Reasons for SourceServiceProviderACSE.
	ReasonProtocolVersionNotSupported = 2
	// Reasons for SourceServiceProviderPresentation.
	ReasonTemporaryCongestion = 1
	ReasonLocalLimitExceeded  = 2
)

// Type implements PDU.
func (*AssociateRJ) Type() Type { return TypeAssociateRJ }

// Encode implements PDU.
func (p *AssociateRJ) Encode(dst []byte) ([]byte, error) {
	dst = append(dst, byte(TypeAssociateRJ), 0, 0, 0, 0, 4, 0, p.Result, p.Source, p.Reason)
	return dst, nil
}

// Decode implements PDU.
func (p *AssociateRJ) Decode(body []byte) error {
	if len(body) < 4 {
		return fmt.Errorf("dicom/pdu: decode A-ASSOCIATE-RJ: %d bytes: %w", len(body), ErrMalformed)
	}
	*p = AssociateRJ{Result: body[1], Source: body[2], Reason: body[3]}
	return nil
}

func (p *AssociateRJ) String() string {
	return fmt.Sprintf("A-ASSOCIATE-RJ result %d source %d reason %d", p.Result, p.Source, p.Reason)
}

// ReleaseRQ is the A-RELEASE-RQ PDU (PS3.8 §9.3.6).
type ReleaseRQ struct{}

// ReleaseRP is the A-RELEASE-RP PDU (PS3.8 §9.3.7).
type ReleaseRP struct{}

// Type implements PDU.
func (*ReleaseRQ) Type() Type { return TypeReleaseRQ }

// Type implements PDU.
func (*ReleaseRP) Type() Type { return TypeReleaseRP }

// Encode implements PDU.
func (*ReleaseRQ) Encode(dst []byte) ([]byte, error) {
	return append(dst, byte(TypeReleaseRQ), 0, 0, 0, 0, 4, 0, 0, 0, 0), nil
}

// Encode implements PDU.
func (*ReleaseRP) Encode(dst []byte) ([]byte, error) {
	return append(dst, byte(TypeReleaseRP), 0, 0, 0, 0, 4, 0, 0, 0, 0), nil
}

// Decode implements PDU; the four reserved bytes are not tested.
func (*ReleaseRQ) Decode(body []byte) error { return nil }

// Decode implements PDU; the four reserved bytes are not tested.
func (*ReleaseRP) Decode(body []byte) error { return nil }

// Abort is the A-ABORT PDU (PS3.8 §9.3.8).
type Abort struct {
	Source uint8 // 0 service-user, 2 service-provider
	Reason uint8 // for the provider: 0 not specified, 1 unrecognized PDU, 2 unexpected PDU, 4 unrecognized parameter, 5 unexpected parameter, 6 invalid parameter value
}

// Abort sources and provider reasons (PS3.8 Table 9-26).
const (
	AbortServiceUser     = 0
	AbortServiceProvider = 2

	AbortReasonNotSpecified      = 0
	AbortReasonUnrecognizedPDU   = 1
	AbortReasonUnexpectedPDU     = 2
	AbortReasonUnrecognizedParam = 4
	AbortReasonUnexpectedParam   = 5
	AbortReasonInvalidParamValue = 6
)

// Type implements PDU.
func (*Abort) Type() Type { return TypeAbort }

// Encode implements PDU.
func (p *Abort) Encode(dst []byte) ([]byte, error) {
	return append(dst, byte(TypeAbort), 0, 0, 0, 0, 4, 0, 0, p.Source, p.Reason), nil
}

// Decode implements PDU.
func (p *Abort) Decode(body []byte) error {
	if len(body) < 4 {
		return fmt.Errorf("dicom/pdu: decode A-ABORT: %d bytes: %w", len(body), ErrMalformed)
	}
	*p = Abort{Source: body[2], Reason: body[3]}
	return nil
}

func (p *Abort) String() string {
	return fmt.Sprintf("A-ABORT source %d reason %d", p.Source, p.Reason)
}
