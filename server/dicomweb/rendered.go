package dicomweb

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"yigong/dicom"
	"yigong/dicom/codec"
	"yigong/dicom/part10"
)

// rendered serves WADO-RS rendered and thumbnail images (PS3.18 §10.4.1.1.3):
// native monochrome 8/16-bit and RGB 8-bit pixel data, windowed by the
// window parameter ("center,width[,function]") or the instance's own VOI,
// as image/jpeg (default) or image/png. RLE and JPEG Baseline pixel data
// are decoded first (dicom/codec); other compressed syntaxes answer 406.
func (h *handler) rendered(thumb bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		pf, r, err := h.readInstance(c)
		if err != nil {
			return err
		}
		frame := 1
		if f := c.Param("frames"); f != "" {
			frame, _ = strconv.Atoi(strings.Split(f, ",")[0])
		}
		img, err := render(pf, frame, c.QueryParam("window"))
		if err != nil {
			return echo.NewHTTPError(http.StatusNotAcceptable, fmt.Sprintf("dicomweb: render %s: %v", r.SOPInstanceUID, err))
		}
		if thumb {
			img = scale(img, 128)
		} else if v := c.QueryParam("viewport"); v != "" {
			if w, err := strconv.Atoi(strings.Split(v, ",")[0]); err == nil && w > 0 {
				img = scale(img, w)
			}
		}
		return writeImage(c, img, c.Request().Header.Get("Accept"))
	}
}

func writeImage(c echo.Context, img image.Image, accept string) error {
	var buf bytes.Buffer
	if strings.Contains(accept, "image/png") && !strings.Contains(accept, "image/jpeg") {
		if err := png.Encode(&buf, img); err != nil {
			return err
		}
		return c.Blob(http.StatusOK, "image/png", buf.Bytes())
	}
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		return err
	}
	return c.Blob(http.StatusOK, "image/jpeg", buf.Bytes())
}

// render turns one native frame into an 8-bit image.
func render(pf *part10.File, frame int, window string) (image.Image, error) {
	frames, im, err := codec.Frames(pf.Dataset, pf.TransferSyntax.UID)
	if err != nil {
		return nil, err
	}
	if frame < 1 || frame > len(frames) {
		return nil, fmt.Errorf("no frame %d", frame)
	}
	px := frames[frame-1]
	ds := pf.Dataset
	bits := im.BitsAllocated
	photo := im.Photometric // RGB once JPEG colour is decoded
	w, hgt := im.Cols, im.Rows
	switch photo {
	case "RGB":
		planar := im.Planar
		if bits != 8 {
			return nil, fmt.Errorf("RGB with %d bits", bits)
		}
		img := image.NewRGBA(image.Rect(0, 0, w, hgt))
		n := w * hgt
		for i := 0; i < n; i++ {
			var r, g, b byte
			if planar == 1 {
				r, g, b = px[i], px[n+i], px[2*n+i]
			} else {
				r, g, b = px[3*i], px[3*i+1], px[3*i+2]
			}
			img.Pix[4*i], img.Pix[4*i+1], img.Pix[4*i+2], img.Pix[4*i+3] = r, g, b, 255
		}
		return img, nil
	case "MONOCHROME1", "MONOCHROME2":
	default:
		return nil, fmt.Errorf("photometric interpretation %q is not rendered yet", photo)
	}
	signed, _ := ds.Int(dicom.TagPixelRepresentation)
	slope, err := ds.Float(0x00281053)
	if err != nil || slope == 0 {
		slope = 1
	}
	intercept, _ := ds.Float(0x00281052)
	n := w * hgt
	vals := make([]float64, n)
	for i := 0; i < n; i++ {
		var v float64
		switch bits {
		case 8:
			if signed == 1 {
				v = float64(int8(px[i]))
			} else {
				v = float64(px[i])
			}
		case 16:
			u := binary.LittleEndian.Uint16(px[2*i:])
			if signed == 1 {
				v = float64(int16(u))
			} else {
				v = float64(u)
			}
		default:
			return nil, fmt.Errorf("%d bits allocated", bits)
		}
		vals[i] = v*slope + intercept
	}
	center, width := math.NaN(), math.NaN()
	if window != "" {
		p := strings.Split(window, ",")
		if len(p) >= 2 {
			center, _ = strconv.ParseFloat(p[0], 64)
			width, _ = strconv.ParseFloat(p[1], 64)
		}
	} else {
		if cs, err := ds.Floats(0x00281050); err == nil && len(cs) > 0 {
			center = cs[0]
		}
		if ws, err := ds.Floats(0x00281051); err == nil && len(ws) > 0 {
			width = ws[0]
		}
	}
	if math.IsNaN(center) || math.IsNaN(width) || width <= 0 {
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, v := range vals {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
		center, width = (lo+hi)/2, math.Max(hi-lo, 1)
	}
	img := image.NewGray(image.Rect(0, 0, w, hgt))
	lo := center - 0.5 - (width-1)/2
	for i, v := range vals {
		// PS3.3 C.11.2.1.2.1, linear function.
		var y float64
		switch {
		case v <= lo:
			y = 0
		case v > center-0.5+(width-1)/2:
			y = 255
		default:
			y = ((v-(center-0.5))/(width-1) + 0.5) * 255
		}
		g := uint8(math.Max(0, math.Min(255, y)))
		if photo == "MONOCHROME1" {
			g = 255 - g
		}
		img.Pix[i] = g
	}
	return img, nil
}

// scale shrinks img so that its larger side is at most max (nearest
// neighbour).
func scale(img image.Image, max int) image.Image {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= max && h <= max {
		return img
	}
	f := float64(max) / float64(w)
	if h > w {
		f = float64(max) / float64(h)
	}
	nw, nh := int(float64(w)*f), int(float64(h)*f)
	out := image.NewRGBA(image.Rect(0, 0, nw, nh))
	for y := 0; y < nh; y++ {
		for x := 0; x < nw; x++ {
			out.Set(x, y, color.RGBAModel.Convert(img.At(b.Min.X+int(float64(x)/f), b.Min.Y+int(float64(y)/f))))
		}
	}
	return out
}
