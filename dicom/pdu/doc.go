// Package pdu encodes and decodes DICOM upper-layer PDUs (PS3.8 §9.3).
//
// Like pgx's pgproto3, it is the wire layer only: one type per PDU and per
// item, each decoding from bytes ([AssociateRQ.Decode]) and encoding by
// appending to a caller's buffer ([AssociateRQ.Encode]); no sockets, no
// timers, no association state. dicom/net builds associations on top.
//
// # Usage
//
//	buf, err := rq.Encode(buf[:0]) // header and body, ready for one Write
//	r := pdu.NewReader(conn, 16384)
//	p, err := r.Next()             // *pdu.AssociateRQ, *pdu.PData, ...
//	switch p := p.(type) { case *pdu.PData: ... }
//
// Decode functions take the PDU body (the bytes after the 6-byte header);
// [Decode] takes a whole PDU. Unknown user-information sub-items are kept
// in [UserInfo.Unknown] and written back unchanged; unknown items elsewhere
// are skipped, as PS3.8 §9.3.1 asks.
//
// # Hostile input
//
// [Reader] checks the PDU length against its maxima before allocating: a
// P-DATA-TF is capped by the maximum length the reader was made with (the
// receiver's Maximum Length, PS3.8 §D.1), other PDUs by [MaxControlLength].
// Item lengths that run past their parent are errors wrapping
// [ErrMalformed]; decoding never panics (FuzzDecode checks this).
//
// # Concurrency
//
// PDU values are plain data. A [Reader] is used by one goroutine; the
// values it returns alias its buffer until the next call to Next.
//
// # Spec sections
//
// PS3.8 §9.3.2-§9.3.4 (A-ASSOCIATE-RQ/AC/RJ), §9.3.5 (P-DATA-TF), §9.3.6-§9.3.8
// (A-RELEASE-RQ/RP, A-ABORT), §9.3.2.2 and Annex D.1-D.3 (user information:
// maximum length, implementation class UID and version name, asynchronous
// operations window, SCP/SCU role selection, extended negotiation), PS3.7
// §D.3.3.7 (user identity negotiation), Annex E (PDV message control header).
package pdu
