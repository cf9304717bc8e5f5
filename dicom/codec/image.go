package codec

import (
	"errors"
	"fmt"
	"strings"

	"yigong/dicom"
)

// Errors callers may branch on.
var (
	// ErrUnsupported reports a transfer syntax or pixel layout this package
	// does not convert.
	ErrUnsupported = errors.New("codec: not supported")
	// ErrCorrupt reports compressed data that does not decode to the image
	// its data set describes.
	ErrCorrupt = errors.New("codec: corrupt pixel data")
)

// Attribute tags of the Image Pixel module (PS3.3 §C.7.6.3) and the lossy
// compression attributes (§C.7.6.1.1.5).
const (
	tagSamplesPerPixel        dicom.Tag = 0x00280002
	tagPhotometric            dicom.Tag = 0x00280004
	tagPlanarConfiguration    dicom.Tag = 0x00280006
	tagNumberOfFrames         dicom.Tag = 0x00280008
	tagRows                   dicom.Tag = 0x00280010
	tagColumns                dicom.Tag = 0x00280011
	tagBitsStored             dicom.Tag = 0x00280101
	tagHighBit                dicom.Tag = 0x00280102
	tagLossyImageCompression  dicom.Tag = 0x00282110
	tagLossyCompressionRatio  dicom.Tag = 0x00282112
	tagLossyCompressionMethod dicom.Tag = 0x00282114
	maxPixels                           = 1 << 28 // 268 M samples: far beyond any real frame
)

// Image describes the pixel data of a data set: what a native frame holds.
type Image struct {
	Rows, Cols    int
	Samples       int // Samples per Pixel
	BitsAllocated int
	BitsStored    int
	Planar        int // Planar Configuration: 0 interleaved, 1 by plane
	Photometric   string
	Frames        int
}

// Describe reads the Image Pixel module of ds.
func Describe(ds *dicom.Dataset) (Image, error) {
	get := func(t dicom.Tag, def int64) int64 {
		if v, err := ds.Int(t); err == nil {
			return v
		}
		return def
	}
	im := Image{
		Rows:          int(get(tagRows, 0)),
		Cols:          int(get(tagColumns, 0)),
		Samples:       int(get(tagSamplesPerPixel, 1)),
		BitsAllocated: int(get(dicom.TagBitsAllocated, 0)),
		Planar:        int(get(tagPlanarConfiguration, 0)),
		Photometric:   strings.TrimSpace(ds.Text(tagPhotometric)),
		Frames:        int(get(tagNumberOfFrames, 1)),
	}
	im.BitsStored = int(get(tagBitsStored, int64(im.BitsAllocated)))
	if im.Frames < 1 {
		im.Frames = 1
	}
	return im, im.check()
}

func (im Image) check() error {
	switch {
	case im.Rows <= 0 || im.Cols <= 0:
		return fmt.Errorf("codec: image of %dx%d: %w", im.Cols, im.Rows, ErrCorrupt)
	case im.Samples != 1 && im.Samples != 3:
		return fmt.Errorf("codec: %d samples per pixel: %w", im.Samples, ErrUnsupported)
	case im.BitsAllocated != 8 && im.BitsAllocated != 16 && im.BitsAllocated != 32:
		return fmt.Errorf("codec: %d bits allocated: %w", im.BitsAllocated, ErrUnsupported)
	case im.Planar != 0 && im.Planar != 1:
		return fmt.Errorf("codec: planar configuration %d: %w", im.Planar, ErrCorrupt)
	case int64(im.Rows)*int64(im.Cols)*int64(im.Samples) > maxPixels:
		return fmt.Errorf("codec: image of %dx%dx%d is too large: %w", im.Cols, im.Rows, im.Samples, ErrUnsupported)
	}
	return nil
}

// FrameSize is the size in bytes of one native frame.
func (im Image) FrameSize() int { return im.Rows * im.Cols * im.Samples * im.BitsAllocated / 8 }
