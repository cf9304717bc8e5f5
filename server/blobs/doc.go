// Package blobs is the hub's blob store for binary content: DICOM instances
// today, ECG originals and PDFs later. FHIR resources and the DICOM index
// point at blobs by key.
//
// # Layout
//
// A blob is content-addressed: its key is the lower-case hex SHA-256 of its
// bytes, and it lives at <dir>/<k[0:2]>/<k>: one level of 256 folders, so
// that after the first few hundred blobs no Put creates a folder (each new
// folder costs a further fsync of its parent). Writing the same bytes twice
// stores them once.
//
// # Durability
//
// Put writes to a temporary file in <dir>/tmp, fsyncs it, renames it to its
// final name and fsyncs the folder that now holds it (and the fan-out folders
// it created) before returning, so a blob whose key a caller has committed
// elsewhere survives a crash or power loss. A crash mid-write leaves only a
// temporary file, removed at the next Open. Stage splits Put in two: the
// content is written to a temporary file, and the caller then either makes
// it durable (Pending.Sync, alongside its own commit) or drops it
// (Pending.Discard, when the instance will not be acknowledged).
//
// Blobs of 128 KiB or more (CT and MR slices, multi-frame instances) are
// written with direct I/O (O_DIRECT) where the filesystem allows it: whole
// aligned blocks go from an aligned buffer to the disk without a copy into
// the page cache, the last partial block through the cache, and the same
// fsync, rename and folder fsync follow. A filesystem that refuses
// O_DIRECT gets plain writes.
//
// Each blob fsyncs its file and its folder. Sharing the folder fsync among
// the blobs of one index commit would save little: with 256 folders, the
// few instances of a C-STORE group rarely share one (50 STOW-RS parts
// share about 5).
//
// # Pending blobs
//
// A blob may be durable elsewhere before it is written here: the DICOM
// service keeps a small C-STORE'd instance's Part 10 file in the index
// transaction of its rows (one WAL flush for both) and writes it here
// afterwards. SetPending gives the store a lookup for such blobs: Has,
// ReadAll and Open of a key the folder lacks consult it (ReadAll returns
// the pending bytes, Open writes them here first, since it returns a
// file), and look in the folder once more after a miss, so that a blob
// written and forgotten meanwhile is found. PutMany writes such a batch:
// temporary files, one syncfs (fsync each elsewhere), renames, one syncfs:
// about two disk flushes for the batch instead of two per blob.
//
// # Production
//
// The filesystem store is the default and suits one node. An S3-compatible
// object store is the production option for several nodes (the key scheme is
// already an object name); it is not written yet.
//
// # Concurrency
//
// A Store is safe for concurrent use; concurrent Puts of the same content
// both succeed and leave one file.
package blobs
