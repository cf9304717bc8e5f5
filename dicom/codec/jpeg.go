package codec

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
)

// DecodeJPEGBaseline decodes one JPEG Baseline (process 1) frame into a
// native 8-bit frame of im: monochrome as is, colour as RGB in im's planar
// configuration. The JPEG stream's own dimensions must match im's.
func DecodeJPEGBaseline(frame []byte, im Image) ([]byte, error) {
	if err := im.check(); err != nil {
		return nil, err
	}
	if im.BitsAllocated != 8 {
		return nil, fmt.Errorf("codec: jpeg baseline with %d bits allocated: %w", im.BitsAllocated, ErrUnsupported)
	}
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(frame))
	if err != nil {
		return nil, fmt.Errorf("codec: jpeg: %w: %w", ErrCorrupt, err)
	}
	if cfg.Width != im.Cols || cfg.Height != im.Rows {
		return nil, fmt.Errorf("codec: jpeg of %dx%d in an image of %dx%d: %w", cfg.Width, cfg.Height, im.Cols, im.Rows, ErrCorrupt)
	}
	img, err := jpeg.Decode(bytes.NewReader(frame))
	if err != nil {
		return nil, fmt.Errorf("codec: jpeg: %w: %w", ErrCorrupt, err)
	}
	out := make([]byte, im.FrameSize())
	npix := im.Rows * im.Cols
	switch src := img.(type) {
	case *image.Gray:
		if im.Samples != 1 {
			return nil, fmt.Errorf("codec: monochrome jpeg for %d samples per pixel: %w", im.Samples, ErrCorrupt)
		}
		for y := range im.Rows {
			copy(out[y*im.Cols:], src.Pix[y*src.Stride:y*src.Stride+im.Cols])
		}
		return out, nil
	case *image.CMYK:
		return nil, fmt.Errorf("codec: CMYK jpeg: %w", ErrUnsupported)
	}
	if im.Samples != 3 {
		return nil, fmt.Errorf("codec: colour jpeg for %d samples per pixel: %w", im.Samples, ErrCorrupt)
	}
	b := img.Bounds()
	put := func(p int, r, g, bl uint8) {
		if im.Planar == 1 {
			out[p], out[npix+p], out[2*npix+p] = r, g, bl
		} else {
			out[3*p], out[3*p+1], out[3*p+2] = r, g, bl
		}
	}
	if src, ok := img.(*image.YCbCr); ok {
		for y := range im.Rows {
			for x := range im.Cols {
				yi, ci := src.YOffset(b.Min.X+x, b.Min.Y+y), src.COffset(b.Min.X+x, b.Min.Y+y)
				r, g, bl := color.YCbCrToRGB(src.Y[yi], src.Cb[ci], src.Cr[ci])
				put(y*im.Cols+x, r, g, bl)
			}
		}
		return out, nil
	}
	for y := range im.Rows {
		for x := range im.Cols {
			c := color.RGBAModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.RGBA)
			put(y*im.Cols+x, c.R, c.G, c.B)
		}
	}
	return out, nil
}

// DefaultJPEGQuality is the quality EncodeJPEGBaseline uses.
const DefaultJPEGQuality = 90

// EncodeJPEGBaseline encodes one native 8-bit frame of im (MONOCHROME1,
// MONOCHROME2 or RGB) as JPEG Baseline. Colour is written as YCbCr with
// chroma subsampled (Photometric Interpretation YBR_FULL_422).
func EncodeJPEGBaseline(frame []byte, im Image, quality int) ([]byte, error) {
	if err := im.check(); err != nil {
		return nil, err
	}
	if im.BitsAllocated != 8 {
		return nil, fmt.Errorf("codec: jpeg baseline needs 8 bits allocated, not %d: %w", im.BitsAllocated, ErrUnsupported)
	}
	if len(frame) < im.FrameSize() {
		return nil, fmt.Errorf("codec: jpeg: frame of %d bytes, want %d: %w", len(frame), im.FrameSize(), ErrCorrupt)
	}
	rect := image.Rect(0, 0, im.Cols, im.Rows)
	var img image.Image
	switch {
	case im.Samples == 1 && (im.Photometric == "MONOCHROME1" || im.Photometric == "MONOCHROME2"):
		img = &image.Gray{Pix: frame[:im.FrameSize()], Stride: im.Cols, Rect: rect}
	case im.Samples == 3 && im.Photometric == "RGB":
		rgba := image.NewRGBA(rect)
		npix := im.Rows * im.Cols
		for p := range npix {
			if im.Planar == 1 {
				rgba.Pix[4*p], rgba.Pix[4*p+1], rgba.Pix[4*p+2] = frame[p], frame[npix+p], frame[2*npix+p]
			} else {
				rgba.Pix[4*p], rgba.Pix[4*p+1], rgba.Pix[4*p+2] = frame[3*p], frame[3*p+1], frame[3*p+2]
			}
			rgba.Pix[4*p+3] = 0xFF
		}
		img = rgba
	default:
		return nil, fmt.Errorf("codec: jpeg baseline from %s with %d samples: %w", im.Photometric, im.Samples, ErrUnsupported)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}); err != nil {
		return nil, fmt.Errorf("codec: jpeg: %w", err)
	}
	return buf.Bytes(), nil
}
