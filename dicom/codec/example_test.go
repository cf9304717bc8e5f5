package codec_test

import (
	"bytes"
	"fmt"

	"yigong/dicom/codec"
)

// An 8-bit monochrome frame of 2×4 pixels goes to RLE Lossless and back.
func ExampleEncodeRLE() {
	im := codec.Image{Rows: 2, Cols: 4, Samples: 1, BitsAllocated: 8, Photometric: "MONOCHROME2"}
	frame := []byte{7, 7, 7, 7, 1, 2, 3, 4}
	rle, err := codec.EncodeRLE(frame, im)
	if err != nil {
		panic(err)
	}
	back, err := codec.DecodeRLE(rle, im)
	if err != nil {
		panic(err)
	}
	fmt.Println(len(rle), "bytes:", rle[64:], bytes.Equal(back, frame))
	// Output: 72 bytes: [253 7 3 1 2 3 4 0] true
}
