// Package server wires yigong together: it reads one [Config], opens the
// store and the blob folder, starts the listeners (HTTP today; MLLP and DICOM
// as their issues land) and shuts them down in order.
//
// server/ is the only package that imports echo and the only one that maps
// fhir error kinds to HTTP statuses; it wires packages together but never
// translates protocol data into FHIR (that is adapters/' job).
//
// # Lifecycle
//
//	srv, err := server.New(cfg, logger)
//	err = srv.Start(ctx)       // binds every listener; returns once they accept
//	...
//	err = srv.Shutdown(ctx)    // stops accepting, drains in-flight work, closes the store
//
// [Server.Run] does Start, waits for ctx to be cancelled, then Shutdown.
package server
