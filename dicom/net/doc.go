// Package net runs DICOM associations over any net.Conn: an SCP [Server]
// with one small handler per DIMSE service, and an SCU [Client] (PS3.7,
// PS3.8).
//
// It is the top of the networking layers: dicom/pdu (wire) → dicom/dimse
// (command sets, statuses) → dicom/net (associations). Data sets are bytes
// here; dicom/part10 parses them. The package never parses files itself.
//
// # Usage
//
// An SCP sets the handlers of the services it offers; a nil handler
// rejects those SOP classes at association, Orthanc-style:
//
//	srv := &net.Server{AETitle: "YIGONG", Store: net.StoreHandlerFunc(
//		func(ctx context.Context, req *net.StoreRequest) dimse.Status {
//			// req.Data is the data set exactly as received, in
//			// req.TransferSyntax: req.WriteFile stores it byte for byte.
//			return dimse.Success
//		})}
//	go srv.Serve(listener)
//	defer srv.Shutdown(ctx)
//
// Every storage SOP class of dicom/uid is accepted when Store is set. Of
// the transfer syntaxes proposed in a context the server takes the first
// it accepts (Server.PreferTransferSyntaxes can rank them), so instances
// are stored as received. [AssociationFilter] is the policy hook: who may
// associate, which syntaxes are accepted.
//
// An SCU dials, proposes contexts and runs operations:
//
//	c, err := net.Dial(ctx, "pacs:104", net.ClientConfig{CalledAE: "PACS",
//		Contexts: []net.Proposal{{AbstractSyntax: uid.CTImageStorage,
//			TransferSyntaxes: []string{inst.TransferSyntax}}}})
//	st, err := c.Store(ctx, inst) // sent as stored, or ErrNoContext
//	for match, err := range c.Find(ctx, uid.StudyRootQueryRetrieveInformationModelFind, q) { ... }
//	err = c.Release(ctx)
//
// # Services
//
// C-ECHO; C-STORE; C-FIND (Patient Root, Study Root, Patient/Study Only;
// pending responses; C-CANCEL honoured); Modality Worklist C-FIND; C-MOVE
// (destination resolved by [AEResolver], sub-operations over a new
// association, pending counts); C-GET (sub-operations on the same
// association, on storage contexts where the requestor took the SCP role
// by role selection); Storage Commitment Push Model (N-ACTION, then
// N-EVENT-REPORT on the same association, or on a new association to the
// requestor, with the SCP role, when it released first: PS3.4 J.3.3;
// [Server.CommitReports] receives such reports as requestor).
//
// C-STORE, C-MOVE and C-GET sub-operations send an instance in its stored
// transfer syntax when the peer accepted it, else convert it with
// yigong/dicom/codec to Explicit or Implicit VR Little Endian (RLE and
// JPEG Baseline decoded); C-MOVE proposes the stored syntax and, in a
// context of its own, those two.
//
// # Transport
//
// Each PDU is built in one buffer and written with one Write call; TCP
// connections get TCP_NODELAY. Data sets are fragmented to the peer's
// maximum PDU length, and received PDUs are checked against ours before
// anything is allocated. Timers: ARTIM for negotiation and release, an
// idle timeout between operations, a read timeout within messages and
// while waiting for responses, a write timeout per PDU. Server.Trace and
// ClientConfig.Trace dump every PDU, per peer, like libpq's PQtrace;
// data set bytes and identity values are never traced.
//
// # Context
//
// Every call that does I/O takes a context. When it ends during an
// operation the association is aborted (A-ABORT) and the connection
// closed, as pgconn closes a connection whose query was cancelled;
// cancelling a C-FIND politely is done by stopping the iteration, which
// sends C-CANCEL. Server.Shutdown closes listeners, lets running
// operations finish, aborts idle associations and waits for all.
//
// # Concurrency
//
// A Server serves each association in its own goroutine, with one reader
// goroutine per association (for C-CANCEL); handlers may be called
// concurrently for different associations, never concurrently within one
// (the asynchronous operations window is 1). A Client runs one operation
// at a time and is not safe for concurrent use. Lock order inside an
// association: dmu before wmu.
//
// # Spec sections
//
// PS3.8 §7 (association establishment, release, abort), §9 (PDUs, via
// dicom/pdu), Annex D (user information); PS3.7 §9.1 (C-services), §10.1
// (N-EVENT-REPORT, N-ACTION), Annex D.3.3 (extended negotiation: maximum
// length, asynchronous window, role selection, user identity); PS3.4
// Annexes A (verification), B (storage), C (query/retrieve), J (storage
// commitment), K (worklist).
package net
