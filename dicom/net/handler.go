package net

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"

	"yigong/dicom"
	"yigong/dicom/dimse"
	"yigong/dicom/part10"
	"yigong/dicom/pdu"
	"yigong/dicom/uid"
)

// AssociationInfo describes a negotiated (or negotiating) association.
type AssociationInfo struct {
	CallingAE, CalledAE       string
	RemoteAddr, LocalAddr     net.Addr
	ImplementationClassUID    string
	ImplementationVersionName string
	// Identity is the user identity the requestor sent (PS3.7 §D.3.3.7),
	// or nil. Its values are secrets: do not log them.
	Identity *pdu.UserIdentity
}

// AssociationFilter is the policy a server consults while negotiating, in
// the manner of Orthanc's IApplicationEntityFilter; server/ implements it
// with AE-title and institution rules.
type AssociationFilter interface {
	// AllowAssociation decides whether the association may be accepted.
	// A non-nil error rejects it: a *RejectError gives the result, source
	// and reason sent; any other error rejects permanently, service-user,
	// reason 3 (calling AE title not recognized).
	AllowAssociation(ctx context.Context, info *AssociationInfo) error
	// AcceptTransferSyntax decides whether ts may be accepted for
	// abstractSyntax; it is asked only for syntaxes the server supports.
	AcceptTransferSyntax(info *AssociationInfo, abstractSyntax, ts string) bool
}

// AEResolver maps an AE title to a "host:port" address: the destination of
// a C-MOVE.
type AEResolver interface {
	ResolveAE(ctx context.Context, aet string) (addr string, err error)
}

// AEResolverFunc adapts a function to AEResolver.
type AEResolverFunc func(ctx context.Context, aet string) (string, error)

// ResolveAE implements AEResolver.
func (f AEResolverFunc) ResolveAE(ctx context.Context, aet string) (string, error) {
	return f(ctx, aet)
}

// EchoRequest is a C-ECHO received.
type EchoRequest struct {
	*AssociationInfo
	MessageID uint16
}

// EchoHandler answers C-ECHO (PS3.7 §9.1.5). Without one, a server answers
// every C-ECHO with Success.
type EchoHandler interface {
	HandleEcho(ctx context.Context, req *EchoRequest) dimse.Status
}

// StoreRequest is a C-STORE received (PS3.7 §9.1.1).
type StoreRequest struct {
	*AssociationInfo
	MessageID      uint16
	Priority       uint16
	SOPClassUID    string
	SOPInstanceUID string
	// TransferSyntax is the syntax of the presentation context, which
	// Data is encoded in.
	TransferSyntax uid.TransferSyntax
	// Data is the data set exactly as received, without meta group: store
	// it verbatim (see WriteFile) to keep the instance byte-identical.
	Data []byte
	// MoveOriginatorAE and MoveOriginatorMessageID are set when the
	// C-STORE is a C-MOVE sub-operation.
	MoveOriginatorAE        string
	MoveOriginatorMessageID uint16
}

// Dataset parses Data with dicom/part10.
func (r *StoreRequest) Dataset(opts *part10.Options) (*dicom.Dataset, error) {
	ds, err := part10.ReadDataset(bytes.NewReader(r.Data), r.TransferSyntax, opts)
	if err != nil {
		return ds, fmt.Errorf("dicom/net: C-STORE %s: %w", r.SOPInstanceUID, err)
	}
	return ds, nil
}

// WriteFile writes the instance as a Part 10 file: preamble, a meta group
// naming the SOP class, instance and transfer syntax, then Data unchanged.
func (r *StoreRequest) WriteFile(w io.Writer) error {
	return writeFile(w, r.SOPClassUID, r.SOPInstanceUID, r.TransferSyntax.UID, r.AssociationInfo, r.Data)
}

func writeFile(w io.Writer, class, inst, ts string, info *AssociationInfo, data []byte) error {
	meta := dicom.New()
	if err := meta.SetStrings(dicom.TagMediaStorageSOPClassUID, dicom.UI, class); err != nil {
		return err
	}
	if err := meta.SetStrings(dicom.TagMediaStorageSOPInstanceUID, dicom.UI, inst); err != nil {
		return err
	}
	if info != nil && info.CallingAE != "" {
		if err := meta.SetStrings(dicom.NewTag(0x0002, 0x0016), dicom.AE, info.CallingAE); err != nil {
			return err
		}
	}
	meta, err := part10.BuildMeta(meta, dicom.New(), ts)
	if err != nil {
		return fmt.Errorf("dicom/net: write file %s: %w", inst, err)
	}
	if err := part10.WriteHeader(w, nil, meta); err != nil {
		return fmt.Errorf("dicom/net: write file %s: %w", inst, err)
	}
	if _, err := w.Write(data); err != nil {
		return fmt.Errorf("dicom/net: write file %s: %w", inst, err)
	}
	return nil
}

// StoreHandler stores one instance and answers with a status (PS3.4
// Annex B.2.3): Success only once the instance is durable.
type StoreHandler interface {
	HandleStore(ctx context.Context, req *StoreRequest) dimse.Status
}

// StoreHandlerFunc adapts a function to StoreHandler.
type StoreHandlerFunc func(ctx context.Context, req *StoreRequest) dimse.Status

// HandleStore implements StoreHandler.
func (f StoreHandlerFunc) HandleStore(ctx context.Context, req *StoreRequest) dimse.Status {
	return f(ctx, req)
}

// QueryRequest is a C-FIND, C-MOVE or C-GET received: the information
// model and the identifier.
type QueryRequest struct {
	*AssociationInfo
	MessageID uint16
	Priority  uint16
	// SOPClassUID is the information model (Patient Root, Study Root,
	// Modality Worklist...).
	SOPClassUID string
	// Level is the Query/Retrieve Level (0008,0052), "" for worklist.
	Level      string
	Identifier *dicom.Dataset
}

// FindRequest is a C-FIND received (PS3.7 §9.1.2).
type FindRequest = QueryRequest

// FindHandler answers C-FIND (PS3.4 Annex C, and Annex K for worklists).
// It calls yield once per match, in the order to be sent; yield returns
// false when the SCU cancelled (C-CANCEL) or the association failed, and
// the handler should then return promptly. The returned status ends the
// operation: Success, or a failure such as OutOfResourcesMatches.
type FindHandler interface {
	HandleFind(ctx context.Context, req *FindRequest, yield func(match *dicom.Dataset) bool) dimse.Status
}

// FindHandlerFunc adapts a function to FindHandler.
type FindHandlerFunc func(ctx context.Context, req *FindRequest, yield func(*dicom.Dataset) bool) dimse.Status

// HandleFind implements FindHandler.
func (f FindHandlerFunc) HandleFind(ctx context.Context, req *FindRequest, yield func(*dicom.Dataset) bool) dimse.Status {
	return f(ctx, req, yield)
}

// Instance is a stored SOP instance sent by a C-MOVE or C-GET
// sub-operation, in the transfer syntax it is stored in.
type Instance struct {
	SOPClassUID    string
	SOPInstanceUID string
	TransferSyntax string
	// Data is the data set without meta group; when nil, Load is called
	// just before the instance is sent.
	Data []byte
	Load func(ctx context.Context) ([]byte, error)
}

func (in *Instance) bytes(ctx context.Context) ([]byte, error) {
	if in.Data != nil || in.Load == nil {
		return in.Data, nil
	}
	return in.Load(ctx)
}

// MoveRequest is a C-MOVE received (PS3.7 §9.1.4).
type MoveRequest struct {
	QueryRequest
	// Destination is the Move Destination AE title.
	Destination string
}

// MoveHandler resolves a C-MOVE identifier to the instances to send. The
// server resolves the destination with Server.Destinations, sends the
// instances as C-STORE sub-operations over a new association and reports
// pending counts. A failure status ends the operation with no
// sub-operation.
type MoveHandler interface {
	HandleMove(ctx context.Context, req *MoveRequest) ([]Instance, dimse.Status)
}

// MoveHandlerFunc adapts a function to MoveHandler.
type MoveHandlerFunc func(ctx context.Context, req *MoveRequest) ([]Instance, dimse.Status)

// HandleMove implements MoveHandler.
func (f MoveHandlerFunc) HandleMove(ctx context.Context, req *MoveRequest) ([]Instance, dimse.Status) {
	return f(ctx, req)
}

// GetRequest is a C-GET received (PS3.7 §9.1.3).
type GetRequest = QueryRequest

// GetHandler resolves a C-GET identifier to the instances to send; the
// server sends them as C-STORE sub-operations on the same association, on
// contexts where the requestor accepted the SCP role.
type GetHandler interface {
	HandleGet(ctx context.Context, req *GetRequest) ([]Instance, dimse.Status)
}

// GetHandlerFunc adapts a function to GetHandler.
type GetHandlerFunc func(ctx context.Context, req *GetRequest) ([]Instance, dimse.Status)

// HandleGet implements GetHandler.
func (f GetHandlerFunc) HandleGet(ctx context.Context, req *GetRequest) ([]Instance, dimse.Status) {
	return f(ctx, req)
}

// SOPReference names one instance in a storage commitment.
type SOPReference struct {
	SOPClassUID, SOPInstanceUID string
	// FailureReason (0008,1197) is set in failed references of a result
	// (0110H processing failure, 0112H no such object instance, ...).
	FailureReason uint16
}

// CommitRequest is a Storage Commitment Push Model N-ACTION received
// (PS3.4 Annex J.3.2).
type CommitRequest struct {
	*AssociationInfo
	TransactionUID string
	References     []SOPReference
}

// CommitResult is what the N-EVENT-REPORT tells the requestor.
type CommitResult struct {
	Committed []SOPReference
	Failed    []SOPReference
}

// CommitHandler answers Storage Commitment (PS3.4 Annex J): it checks that
// each referenced instance is safely stored. The server acknowledges the
// N-ACTION first, then sends the result as N-EVENT-REPORT on the same
// association, or on a new association to the requestor (resolved by
// Server.Destinations) when it released right after the N-ACTION.
type CommitHandler interface {
	HandleCommit(ctx context.Context, req *CommitRequest) CommitResult
}

// CommitReport is a Storage Commitment result received as requestor on an
// association the performer opened (PS3.4 J.3.3).
type CommitReport struct {
	*AssociationInfo
	TransactionUID string
	CommitResult
}

// CommitReportHandler receives storage commitment results sent to us on a
// new association; it answers the N-EVENT-REPORT with a status.
type CommitReportHandler interface {
	HandleCommitReport(ctx context.Context, rep *CommitReport) dimse.Status
}

// CommitReportHandlerFunc adapts a function to CommitReportHandler.
type CommitReportHandlerFunc func(ctx context.Context, rep *CommitReport) dimse.Status

// HandleCommitReport implements CommitReportHandler.
func (f CommitReportHandlerFunc) HandleCommitReport(ctx context.Context, rep *CommitReport) dimse.Status {
	return f(ctx, rep)
}

// CommitHandlerFunc adapts a function to CommitHandler.
type CommitHandlerFunc func(ctx context.Context, req *CommitRequest) CommitResult

// HandleCommit implements CommitHandler.
func (f CommitHandlerFunc) HandleCommit(ctx context.Context, req *CommitRequest) CommitResult {
	return f(ctx, req)
}

// Interface guards.
var (
	_ StoreHandler  = StoreHandlerFunc(nil)
	_ FindHandler   = FindHandlerFunc(nil)
	_ MoveHandler   = MoveHandlerFunc(nil)
	_ GetHandler    = GetHandlerFunc(nil)
	_ CommitHandler = CommitHandlerFunc(nil)
	_ AEResolver    = AEResolverFunc(nil)
)
