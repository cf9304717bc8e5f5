package fhirpath

import (
	"encoding/xml"
	"errors"
	"io"
	"strings"
)

const xhtmlNS = "http://www.w3.org/1999/xhtml"

// htmlElements are the XHTML elements FHIR R4 narrative may use (txt-1:
// HTML 4.0 chapters 7-11 except 9.4, and 15, plus a, img and style
// attributes), with the attributes each may carry beyond the common ones.
var htmlElements = map[string]string{
	"p": "", "br": "", "div": "", "span": "", "h1": "", "h2": "", "h3": "", "h4": "", "h5": "", "h6": "",
	"b": "", "i": "", "em": "", "strong": "", "small": "", "big": "", "tt": "", "dfn": "", "var": "",
	"abbr": "", "acronym": "", "cite": "cite", "blockquote": "cite", "q": "cite", "hr": "", "address": "",
	"bdo": "", "kbd": "", "sub": "", "sup": "", "code": "", "samp": "", "pre": "", "ins": "cite datetime", "del": "cite datetime",
	"ul": "", "ol": "start type", "li": "value type", "dl": "", "dt": "", "dd": "",
	"table":   "summary width border frame rules cellspacing cellpadding align bgcolor",
	"caption": "align", "colgroup": "span width align valign char charoff", "col": "span width align valign char charoff",
	"thead": "align valign char charoff", "tbody": "align valign char charoff", "tfoot": "align valign char charoff",
	"tr":  "align valign char charoff bgcolor",
	"th":  "abbr axis headers scope rowspan colspan align valign char charoff nowrap width height bgcolor",
	"td":  "abbr axis headers scope rowspan colspan align valign char charoff nowrap width height bgcolor",
	"a":   "href name hreflang type rel rev charset shape coords",
	"img": "src alt height width longdesc usemap ismap align border hspace vspace",
	"map": "name", "area": "shape coords href nohref alt",
	"font": "size color face", "center": "", "u": "", "s": "", "strike": "",
}

// htmlCommonAttrs may appear on any allowed element.
var htmlCommonAttrs = map[string]bool{
	"id": true, "class": true, "style": true, "title": true, "lang": true, "dir": true,
	"accesskey": true, "tabindex": true,
}

// maxXHTML caps the narrative size htmlChecks parses.
const maxXHTML = 8 << 20

// checkXHTML applies the R4 narrative rules (txt-1): well-formed XHTML with
// a div root in the XHTML namespace, only the allowed elements and
// attributes, no scripts, forms or event handlers, no javascript: links,
// and some non-whitespace content or an image (txt-2 is checked separately
// by the invariant that uses it, but an empty div fails here too).
func checkXHTML(s string) error {
	if len(s) > maxXHTML {
		return errors.New("narrative too large")
	}
	d := xml.NewDecoder(strings.NewReader(s))
	d.Strict = true
	d.Entity = xml.HTMLEntity
	depth := 0
	root := true
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if root {
				if t.Name.Local != "div" || t.Name.Space != xhtmlNS {
					return errors.New("the root must be a div in the XHTML namespace")
				}
				root = false
			} else if depth == 0 {
				return errors.New("content after the root div")
			}
			if t.Name.Space != xhtmlNS {
				return errors.New("element " + t.Name.Local + " is not in the XHTML namespace")
			}
			extra, ok := htmlElements[t.Name.Local]
			if !ok {
				return errors.New("element " + t.Name.Local + " is not allowed")
			}
			for _, a := range t.Attr {
				if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") {
					continue
				}
				if a.Name.Space == "http://www.w3.org/XML/1998/namespace" && a.Name.Local == "lang" {
					continue
				}
				name := a.Name.Local
				if a.Name.Space != "" {
					return errors.New("attribute " + a.Name.Space + ":" + name + " is not allowed")
				}
				if !htmlCommonAttrs[name] && !hasWord(extra, name) {
					return errors.New("attribute " + name + " is not allowed on " + t.Name.Local)
				}
				if name == "href" || name == "src" {
					v := strings.ToLower(strings.TrimSpace(a.Value))
					if strings.HasPrefix(v, "javascript:") || strings.HasPrefix(v, "vbscript:") {
						return errors.New("script URLs are not allowed")
					}
				}
			}
			depth++
		case xml.EndElement:
			depth--
		case xml.CharData:
			if depth == 0 && strings.TrimSpace(string(t)) != "" {
				return errors.New("text outside the root div")
			}
		case xml.ProcInst:
			if t.Target != "xml" {
				return errors.New("processing instructions are not allowed")
			}
		case xml.Directive:
			return errors.New("DOCTYPE and other directives are not allowed")
		}
	}
	if root {
		return errors.New("no div element")
	}
	return nil
}

func hasWord(list, w string) bool {
	for _, f := range strings.Fields(list) {
		if f == w {
			return true
		}
	}
	return false
}

// fnHTMLChecks implements htmlChecks() on xhtml nodes (Narrative.div) and
// strings; other input gives false.
func fnHTMLChecks(st *state, fr *frame, in Collection, c *callExpr) (Collection, error) {
	if len(in) == 0 {
		return nil, nil
	}
	if len(in) > 1 {
		return nil, errorf("expected a single item, got %d", len(in))
	}
	var s string
	if n := in[0].node; n != nil {
		if n.Type == "Narrative" {
			n = n.Child("div")
			if n == nil {
				return boolColl(false), nil
			}
		}
		s = n.Value
	} else if v, ok := in[0].val.(String); ok {
		s = string(v)
	} else {
		return boolColl(false), nil
	}
	return boolColl(checkXHTML(s) == nil), nil
}
