// Package mllp implements the Minimal Lower Layer Protocol that carries HL7
// v2 messages over TCP (HL7 v2.5.1 appendix C): frame reading and writing,
// a concurrent Server and a Client.
//
// A frame is <SB> payload <EB><CR>, with SB 0x0B, EB 0x1C, CR 0x0D. The
// payload is opaque bytes here: charset decoding and parsing belong to
// package hl7v2, so the server never splits a GBK message.
//
// # Usage
//
//	srv := &mllp.Server{
//		Handler: mllp.HandlerFunc(func(ctx context.Context, msg []byte, meta mllp.Meta) ([]byte, error) {
//			// parse, store durably, then return the encoded ACK
//		}),
//		IdleTimeout: 5 * time.Minute,
//	}
//	go srv.ListenAndServe(":2575")
//	defer srv.Shutdown(ctx)
//
// The Handler interface has one method, like http.Handler, with a
// HandlerFunc adapter. The server writes the handler's reply only after
// Handle returns, so a handler that commits the message first gives
// store-before-ACK. A handler error sends no ACK and closes the connection,
// which makes the sender resend.
//
// # Concurrency and context
//
// Each connection is served by its own goroutine, one frame at a time (MLLP
// has one outstanding message per connection); connections run in parallel.
// Handlers receive a context cancelled by Close or when the Shutdown
// context expires. Shutdown closes the listeners and idle connections, waits
// for frames being read or handled to be answered, then returns. Client.Send
// takes a context whose deadline becomes the socket deadline; a Client
// serialises concurrent sends.
//
// # Limits
//
// Reader caps a payload (DefaultMaxFrameSize, 16 MiB) and checks the cap
// before the buffer grows. Server has IdleTimeout, ReadTimeout and
// WriteTimeout; TLSConfig turns on TLS.
//
// # Specification coverage
//
// HL7 v2.5.1 appendix C.4 (MLLP block format), tolerating a missing <CR>
// after <EB> and CR/LF between frames. The reliable-delivery extensions of
// MLLP release 2 (commit acknowledgments at the transport) are not built:
// acknowledgments are HL7 ACK messages produced by the handler.
package mllp
