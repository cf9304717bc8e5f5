// Package hl7 is the hub's HL7 v2 service: MLLP listeners whose messages are
// committed to a durable inbox before they are acknowledged, workers that
// map them into FHIR (adapters/v2fhir) and apply them to the store, and an
// MLLP client that delivers the outbox (enhanced-mode application ACKs) with
// retries.
//
// # Path of a message
//
//	socket ─ mllp.Server ─ receive: parse (per-sender charset) ─ policy (allowed types)
//	       ─ committer: one store transaction for every message waiting ─ ACK written
//	inbox ─ worker: Claim (per sender, in order) ─ v2fhir.Map ─ Processor.Prepare (searches)
//	       ─ Begin ─ ExecuteIn (FHIR writes) ─ QueueComplete ─ Commit
//
// The inbox is the store's optional [store.Queue] (queue "hl7.in", one
// partition per sender "MSH-3.1^MSH-4.1"), in the same database as the
// resources, so that a message's FHIR writes and its "done" mark commit
// in one transaction: a crash between the two cannot apply a message
// twice or lose it.
//
// # What an ACK means
//
// Original mode (MSH-15 and MSH-16 empty): AA means the raw message and its
// metadata are committed (fsynced) in the inbox; it will be processed,
// retried on failure, and left visible in the error state if it cannot be.
// Mapping errors found later are not reported to the sender (the original
// mode has no second ACK); they show in GET /admin/hl7/stats and
// /admin/hl7/messages?state=error. AR (with ERR: segment, field, code,
// text) means the message was rejected: unparseable (its bytes are still
// stored, in the error state), or a type the sender rule does not allow,
// or an unmapped type under the "reject" policy. An unmapped type under
// the default "accept" policy is stored, acknowledged AA, counted
// (not_mapped) and completed without FHIR writes.
//
// Enhanced mode (MSH-15 or MSH-16 valued): the commit ACK CA (CR on
// rejection) is sent on the connection after the inbox commit, whatever
// MSH-15 says unless Config.StrictAcceptAck (MLLP senders block for a
// reply); the application ACK (AA, or AE with ERR when the message ends
// in the error state), as MSH-16 asks, is queued in the outbox in the
// same transaction as the FHIR writes and sent to the sender rule's
// return_addr by the MLLP client. Without a return_addr the application
// ACK cannot be delivered; the stats count it (app_ack_undeliverable).
//
// No ACK at all (the connection is closed) means the message was not
// committed: the sender resends it.
//
// # Duplicates
//
// A message with the same sender, MSH-10, message type and content after
// the MSH (a re-send, even with a new MSH-7) is recognised at commit
// (the queue's dedupe key), acknowledged like the first and not stored or
// applied again. Messages that reuse a control ID with other content are
// different messages and both kept.
//
// # Group commit
//
// One goroutine, the committer, owns inbox writes: it takes every received
// message waiting (up to Config.GroupCommit), enqueues them in one
// transaction, then releases their handlers. While a commit (one fsync)
// runs, messages from the other connections gather for the next one, so
// with n connections up to n messages share one fsync. A single
// connection still waits for its own commit per message (MLLP allows one
// outstanding message per connection).
//
// # Order, retries, errors
//
// Workers claim runs of messages from the heads of the sender partitions;
// a sender's messages are processed one at a time in arrival order, while
// different senders proceed in parallel. A failed attempt is recorded
// (error text, attempt count) and retried after an exponential backoff
// (Config.Backoff doubling up to MaxBackoff); the rest of that sender's
// run waits behind it. Mapping errors are permanent (error state at once);
// store errors are retried up to MaxAttempts, then the message goes to the
// error state, stops blocking its sender and can be replayed over the API.
//
// # Lifecycle, goroutines and lock order
//
// [New] validates the configuration (a bad mapping stops boot); [Service.Start]
// binds every listener and starts, each owned by the Service: one
// mllp.Server per listener (a goroutine per connection), the committer,
// Config.Workers inbox workers and one outbox deliverer.
// [Service.Shutdown] closes the listeners and waits for messages being
// received to be committed and acknowledged, then stops the committer,
// then the workers (each finishes the message in hand, within a minute)
// and the deliverer. Leases of a crashed process expire after 15 s and
// its claimed messages are processed again (never twice: completion checks
// the lease inside the transaction).
//
// Service.mu guards the listeners and stop functions; stats.mu the
// counters; mapperMu the per-institution mappers. None is held while
// another is taken or during I/O.
//
// # Logging
//
// Keys: sender, control_id, message_type, inbox_id; message bodies and
// patient data only at Debug.
package hl7
