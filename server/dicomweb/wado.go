package dicomweb

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"yigong/dicom"
	"yigong/dicom/codec"
	"yigong/dicom/dicomjson"
	"yigong/dicom/part10"
	"yigong/dicom/uid"
	"yigong/fhir/store"
	dicomsvc "yigong/server/dicom"
)

// records returns the index rows of the instances a WADO-RS path names.
func (h *handler) records(c echo.Context, level store.DICOMLevel, headers bool) (*dicomsvc.Service, []store.DICOMRecord, error) {
	svc, err := h.service()
	if err != nil {
		return nil, nil, err
	}
	id := pathIdentifier(c)
	ctx := c.Request().Context()
	var recs []store.DICOMRecord
	if headers || level == levelImage {
		ms, err := svc.Query(ctx, dicomsvc.Query{Institution: scope(c, svc), Level: levelImage, Identifier: id})
		if err != nil {
			return nil, nil, err
		}
		for _, m := range ms {
			recs = append(recs, m.Record)
		}
	} else {
		recs, err = svc.Instances(ctx, scope(c, svc), level, id)
		if err != nil {
			return nil, nil, err
		}
	}
	if len(recs) == 0 {
		return nil, nil, echo.NewHTTPError(http.StatusNotFound, "dicomweb: no such "+strings.ToLower(string(level)))
	}
	return svc, recs, nil
}

// acceptedSyntax reads the transfer-syntax parameter of an Accept of
// multipart/related; type="application/dicom"; "" or "*" means as stored.
func acceptedSyntax(accept string) string {
	for _, part := range strings.Split(accept, ",") {
		_, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		if ts := params["transfer-syntax"]; ts != "" {
			return ts
		}
	}
	return ""
}

func boundary() string {
	var b [12]byte
	rand.Read(b[:])
	return "yigong-" + hex.EncodeToString(b[:])
}

// retrieve serves WADO-RS instances as multipart/related application/dicom,
// streamed from the blobs as stored (or transcoded between the native
// syntaxes when the Accept header asks for one).
func (h *handler) retrieve(level store.DICOMLevel) echo.HandlerFunc {
	return func(c echo.Context) error {
		svc, recs, err := h.records(c, level, false)
		if err != nil {
			return err
		}
		want := acceptedSyntax(c.Request().Header.Get("Accept"))
		if want == "*" {
			want = ""
		}
		if want != "" {
			for _, r := range recs {
				if r.TransferSyntax != want && !transcodable(r.TransferSyntax, want) {
					return echo.NewHTTPError(http.StatusNotAcceptable,
						fmt.Sprintf("dicomweb: instance %s is stored in %s; transcoding to %s is not supported", r.SOPInstanceUID, r.TransferSyntax, want))
				}
			}
		}
		ctx := c.Request().Context()
		bd := boundary()
		w := c.Response()
		w.Header().Set(echo.HeaderContentType, `multipart/related; type="application/dicom"; boundary=`+bd)
		w.WriteHeader(http.StatusOK)
		for _, r := range recs {
			ts := r.TransferSyntax
			if want != "" {
				ts = want
			}
			fmt.Fprintf(w, "--%s\r\nContent-Type: application/dicom; transfer-syntax=%s\r\n\r\n", bd, ts)
			if err := writeInstance(ctx, svc, w, r, ts); err != nil {
				h.log.Warn("dicomweb retrieve failed", "sop_instance_uid", r.SOPInstanceUID, "err", err)
				return nil // headers are sent: the truncated body tells the client
			}
			io.WriteString(w, "\r\n")
		}
		fmt.Fprintf(w, "--%s--\r\n", bd)
		return nil
	}
}

// writeInstance copies the stored file, or transcodes it to ts.
func writeInstance(ctx context.Context, svc *dicomsvc.Service, w io.Writer, r store.DICOMRecord, ts string) error {
	f, err := svc.OpenBlob(ctx, r.BlobKey)
	if err != nil {
		return err
	}
	defer f.Close()
	if ts == r.TransferSyntax {
		_, err = io.Copy(w, f)
		return err
	}
	return transcode(w, f, ts)
}

// transcodable reports whether dicom/codec converts from to to: the
// native syntaxes, RLE Lossless and JPEG Baseline.
func transcodable(from, to string) bool { return codec.CanTranscode(from, to) }

func transcode(w io.Writer, src io.Reader, to string) error {
	ts, ok := uid.LookupTransferSyntax(to)
	if !ok {
		return fmt.Errorf("dicomweb: unknown transfer syntax %s", to)
	}
	f, err := part10.Read(src, nil)
	if err != nil {
		return fmt.Errorf("dicomweb: transcode: %w", err)
	}
	if err := codec.Transcode(f.Dataset, f.TransferSyntax.UID, to); err != nil {
		return fmt.Errorf("dicomweb: transcode: %w", err)
	}
	f.TransferSyntax = ts
	f.Meta.Delete(dicom.TagTransferSyntaxUID)
	return part10.Write(w, f)
}

// metadata serves WADO-RS metadata: the DICOM JSON of each instance from
// the index, bulk data as BulkDataURIs.
func (h *handler) metadata(level store.DICOMLevel) echo.HandlerFunc {
	return func(c echo.Context) error {
		_, recs, err := h.records(c, level, true)
		if err != nil {
			return err
		}
		b := base(c)
		var buf bytes.Buffer
		buf.WriteByte('[')
		for i, r := range recs {
			ds, err := dicomsvc.DecodeHeader(r.Header)
			if err != nil {
				return err
			}
			ds.Delete(dicom.TagSpecificCharacterSet) // JSON is UTF-8
			inst := b + "/studies/" + r.StudyUID + "/series/" + r.SeriesUID + "/instances/" + r.SOPInstanceUID
			for _, bt := range strings.Fields(r.BulkTags) {
				tagHex, vrs, _ := strings.Cut(bt, ":")
				n, err := strconv.ParseUint(tagHex, 16, 32)
				if err != nil || len(vrs) != 2 {
					continue
				}
				vr, _ := dicom.VRFromBytes(vrs[0], vrs[1])
				uri := inst + "/bulk/" + tagHex
				ds.Set(&dicom.Element{Tag: dicom.Tag(n), VR: vr, Length: dicom.UndefinedLength, Offset: -1, Bulk: &dicom.BulkData{URI: uri}})
			}
			js, err := dicomjson.Marshal(ds, &dicomjson.Options{BulkDataURI: bulkURI})
			if err != nil {
				return fmt.Errorf("dicomweb: metadata %s: %w", r.SOPInstanceUID, err)
			}
			if i > 0 {
				buf.WriteByte(',')
			}
			buf.Write(js)
		}
		buf.WriteByte(']')
		return c.Blob(http.StatusOK, "application/dicom+json", buf.Bytes())
	}
}

// readInstance loads one instance's file with its pixel data.
func (h *handler) readInstance(c echo.Context) (*part10.File, store.DICOMRecord, error) {
	svc, recs, err := h.records(c, levelImage, false)
	if err != nil {
		return nil, store.DICOMRecord{}, err
	}
	r := recs[0]
	f, err := svc.OpenBlob(c.Request().Context(), r.BlobKey)
	if err != nil {
		return nil, r, err
	}
	defer f.Close()
	pf, err := part10.Read(f, nil)
	if err != nil {
		return nil, r, fmt.Errorf("dicomweb: read %s: %w", r.SOPInstanceUID, err)
	}
	return pf, r, nil
}

// frames serves WADO-RS frames: native frames as application/octet-stream;
// encapsulated ones in their compressed form, or decoded to
// application/octet-stream when the Accept header asks only for that and
// the codec reads the syntax (RLE, JPEG Baseline).
func (h *handler) frames(c echo.Context) error {
	pf, r, err := h.readInstance(c)
	if err != nil {
		return err
	}
	var nums []int
	for _, s := range strings.Split(c.Param("frames"), ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return echo.NewHTTPError(http.StatusBadRequest, "dicomweb: frame numbers start at 1")
		}
		nums = append(nums, n)
	}
	frames, media, err := pixelFrames(pf)
	if err != nil {
		return echo.NewHTTPError(http.StatusNotAcceptable, err.Error())
	}
	if media != "application/octet-stream" && wantsOctets(c.Request().Header.Get("Accept")) {
		if frames, _, err = codec.Frames(pf.Dataset, pf.TransferSyntax.UID); err != nil {
			return echo.NewHTTPError(http.StatusNotAcceptable, fmt.Sprintf("dicomweb: decode %s: %v", r.SOPInstanceUID, err))
		}
		media = "application/octet-stream"
	}
	var parts [][]byte
	for _, n := range nums {
		if n > len(frames) {
			return echo.NewHTTPError(http.StatusNotFound, fmt.Sprintf("dicomweb: instance %s has %d frames", r.SOPInstanceUID, len(frames)))
		}
		parts = append(parts, frames[n-1])
	}
	ctype := media
	if media != "application/octet-stream" {
		ctype += "; transfer-syntax=" + r.TransferSyntax
	}
	return writeParts(c, media, ctype, parts)
}

// wantsOctets reports whether an Accept header names
// application/octet-stream and no compressed image type.
func wantsOctets(accept string) bool {
	return strings.Contains(accept, "application/octet-stream") && !strings.Contains(accept, "image/") && !strings.Contains(accept, "*/*")
}

func writeParts(c echo.Context, typ, partType string, parts [][]byte) error {
	bd := boundary()
	w := c.Response()
	w.Header().Set(echo.HeaderContentType, `multipart/related; type="`+typ+`"; boundary=`+bd)
	w.WriteHeader(http.StatusOK)
	for _, p := range parts {
		fmt.Fprintf(w, "--%s\r\nContent-Type: %s\r\n\r\n", bd, partType)
		w.Write(p)
		io.WriteString(w, "\r\n")
	}
	fmt.Fprintf(w, "--%s--\r\n", bd)
	return nil
}

// pixelFrames splits pixel data into frames.
func pixelFrames(pf *part10.File) ([][]byte, string, error) {
	ds := pf.Dataset
	e, ok := ds.Get(dicom.TagPixelData)
	if !ok {
		return nil, "", fmt.Errorf("dicomweb: the instance has no pixel data")
	}
	nf := int64(1)
	if n, err := ds.Int(0x00280008); err == nil && n > 0 {
		nf = n
	}
	if e.Fragments != nil {
		items, err := codec.EncapsulatedFrames(e.Fragments, int(nf))
		if err != nil {
			return nil, "", fmt.Errorf("dicomweb: %w", err)
		}
		return items, compressedMedia(pf.TransferSyntax.UID), nil
	}
	raw, err := e.Bytes()
	if err != nil {
		return nil, "", fmt.Errorf("dicomweb: pixel data: %w", err)
	}
	rows, _ := ds.Int(0x00280010)
	cols, _ := ds.Int(0x00280011)
	spp, err := ds.Int(0x00280002)
	if err != nil {
		spp = 1
	}
	bits, _ := ds.Int(dicom.TagBitsAllocated)
	size := rows * cols * spp * bits / 8
	if size <= 0 || size*nf > int64(len(raw)) {
		return nil, "", fmt.Errorf("dicomweb: pixel data shorter than %d frames of %d bytes", nf, size)
	}
	out := make([][]byte, nf)
	for i := range out {
		out[i] = raw[int64(i)*size : int64(i+1)*size]
	}
	return out, "application/octet-stream", nil
}

func compressedMedia(ts string) string {
	switch ts {
	case "1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.57", "1.2.840.10008.1.2.4.70":
		return "image/jpeg"
	case "1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81":
		return "image/jls"
	case "1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91":
		return "image/jp2"
	case "1.2.840.10008.1.2.5":
		return "image/dicom-rle"
	}
	return "application/octet-stream"
}

// bulk serves one bulk data element of an instance.
func (h *handler) bulk(c echo.Context) error {
	pf, _, err := h.readInstance(c)
	if err != nil {
		return err
	}
	t, ok := parseAttr(c.Param("tag"))
	if !ok {
		return echo.NewHTTPError(http.StatusBadRequest, "dicomweb: bad tag")
	}
	e, found := pf.Dataset.Get(t)
	if !found {
		return echo.NewHTTPError(http.StatusNotFound, "dicomweb: no such bulk data")
	}
	var b []byte
	if e.Fragments != nil {
		b = bytes.Join(e.Fragments.Items, nil)
	} else if b, err = e.Bytes(); err != nil {
		return err
	}
	return writeParts(c, "application/octet-stream", "application/octet-stream", [][]byte{b})
}
