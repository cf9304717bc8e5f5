package net_test

import (
	"bytes"
	"context"
	"fmt"
	stdnet "net"
	"time"

	"yigong/dicom"
	"yigong/dicom/dimse"
	dnet "yigong/dicom/net"
	"yigong/dicom/part10"
	"yigong/dicom/uid"
)

// ExampleServer runs an echo and store SCP on a loopback port, then stores
// one instance into it with the SCU.
func ExampleServer() {
	srv := &dnet.Server{
		AETitle: "YIGONG",
		Store: dnet.StoreHandlerFunc(func(ctx context.Context, req *dnet.StoreRequest) dimse.Status {
			// A real handler writes req.WriteFile to durable storage
			// before answering Success.
			var file bytes.Buffer
			if err := req.WriteFile(&file); err != nil {
				return dimse.OutOfResources
			}
			fmt.Printf("stored %s from %s (%s)\n", req.SOPInstanceUID, req.CallingAE, uid.Name(req.TransferSyntax.UID))
			return dimse.Success
		}),
	}
	l, err := stdnet.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	go srv.Serve(l)
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}()

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := dnet.Dial(ctx, l.Addr().String(), dnet.ClientConfig{CallingAE: "CT01", CalledAE: "YIGONG",
		Contexts: []dnet.Proposal{{AbstractSyntax: uid.CTImageStorage, TransferSyntaxes: []string{uid.ExplicitVRLittleEndian}}}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("echo:", c.Echo(ctx))

	ds := dicom.New()
	_ = ds.SetStrings(dicom.TagSOPClassUID, dicom.UI, uid.CTImageStorage)
	_ = ds.SetStrings(dicom.TagSOPInstanceUID, dicom.UI, "2.25.42")
	var data bytes.Buffer
	_ = part10.WriteDataset(&data, ds, uid.ExplicitLE())
	st, err := c.Store(ctx, dnet.Instance{SOPClassUID: uid.CTImageStorage, SOPInstanceUID: "2.25.42", TransferSyntax: uid.ExplicitVRLittleEndian, Data: data.Bytes()})
	fmt.Println("store:", st, err)
	fmt.Println("release:", c.Release(ctx))
	// Output:
	// echo: <nil>
	// stored 2.25.42 from CT01 (Explicit VR Little Endian)
	// store: 0000H Success <nil>
	// release: <nil>
}
