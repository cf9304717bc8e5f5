package mllp_test

import (
	"context"
	"fmt"
	"net"
	"time"

	"yigong/hl7v2"
	"yigong/hl7v2/mllp"
)

func ExampleServer() {
	srv := &mllp.Server{
		Handler: mllp.HandlerFunc(func(ctx context.Context, msg []byte, meta mllp.Meta) ([]byte, error) {
			req, err := hl7v2.Parse(msg)
			if err != nil {
				return nil, err // no ACK: the sender will resend
			}
			// ... store req durably here, then acknowledge ...
			ack, err := hl7v2.NewACK(req, hl7v2.AckOptions{ControlID: "ACK-" + req.ControlID()})
			if err != nil {
				return nil, err
			}
			return ack.Encode()
		}),
		IdleTimeout: time.Minute,
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	go srv.Serve(l)
	defer srv.Shutdown(context.Background())

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	client, err := mllp.Dial(ctx, l.Addr().String(), nil, 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()
	reply, err := client.Send(ctx, []byte("MSH|^~\\&|HIS|HOSP|HUB|CTR|20240101120000||ADT^A01^ADT_A01|MSG1|P|2.5.1\rPID|1||A1\r"))
	if err != nil {
		fmt.Println(err)
		return
	}
	ack, _ := hl7v2.Parse(reply)
	msa := hl7v2.MSA{Segment: ack.Segment("MSA")}
	fmt.Println(ack.ControlID(), msa.AcknowledgmentCode().String(), msa.MessageControlID().String())
	// Output: ACK-MSG1 AA MSG1
}
