package stategraph

import (
	"fmt"
	"html/template"
	"strings"
)

// SVG renders the graph as an inline <svg> element. id prefixes the
// element's ids (unique on the page); title and desc name and describe it
// for assistive technology, which also gets a text alternative from the
// page. Styles come from the page's stylesheet through classes, never
// inline, so that a strict Content-Security-Policy holds.
func (g *Graph) SVG(id, title, desc string) template.HTML {
	var b strings.Builder
	esc := template.HTMLEscapeString
	f := func(v float64) string { return fmt.Sprintf("%.1f", v) }
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="state-graph" id="%s" viewBox="0 0 %s %s" width="%s" height="%s" role="img" aria-labelledby="%s-title %s-desc">`,
		esc(id), f(g.Width), f(g.Height), f(g.Width), f(g.Height), esc(id), esc(id))
	fmt.Fprintf(&b, `<title id="%s-title">%s</title><desc id="%s-desc">%s</desc>`, esc(id), esc(title), esc(id), esc(desc))
	fmt.Fprintf(&b, `<defs><marker id="%[1]s-arrow" class="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="10" markerHeight="10" orient="auto"><path d="M0,0 L10,5 L0,10 z"/></marker>`+
		`<marker id="%[1]s-arrow-taken" class="arrow taken" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="10" markerHeight="10" orient="auto"><path d="M0,0 L10,5 L0,10 z"/></marker></defs>`, esc(id))
	// Edges first, taken ones last so that they are drawn on top.
	b.WriteString(`<g class="edges">`)
	for _, taken := range []bool{false, true} {
		for _, e := range g.Edges {
			if e.Taken != taken || len(e.Points) < 2 {
				continue
			}
			cls, marker := "edge edge-"+e.Kind, id+"-arrow"
			if e.Taken {
				cls, marker = cls+" taken", id+"-arrow-taken"
			}
			fmt.Fprintf(&b, `<path class="%s" data-from="%s" data-to="%s" d="%s" marker-end="url(#%s)"/>`,
				cls, esc(e.From), esc(e.To), pathData(e), esc(marker))
		}
	}
	b.WriteString(`</g><g class="edge-labels">`)
	for _, e := range g.Edges {
		if e.Label == "" || len(e.Points) < 2 {
			continue
		}
		// Just above the edge's arrow: edges into different states spread
		// apart there, where they leave one state close together.
		p, q := e.Points[0], e.Points[1]
		end := e.Points[len(e.Points)-1]
		at := Point{end.X, end.Y - 16}
		if e.Back {
			at = Point{max(p.X, q.X) + loopRoom/2, (p.Y + q.Y) / 2}
		}
		w := textWidth(e.Label)*0.85 + 10
		cls := "edge-label"
		if e.Taken {
			cls += " taken"
		}
		fmt.Fprintf(&b, `<g class="%s"><rect x="%s" y="%s" width="%s" height="18" rx="3"/><text x="%s" y="%s" text-anchor="middle">%s</text></g>`,
			cls, f(at.X-w/2), f(at.Y-9), f(w), f(at.X), f(at.Y+4), esc(e.Label))
	}
	b.WriteString(`</g><g class="nodes">`)
	for _, n := range g.States() {
		cls := "node node-" + strings.ToLower(n.Type)
		if n.Status != "" {
			cls += " " + n.Status
		}
		fmt.Fprintf(&b, `<g class="%s" data-state="%s">`, cls, esc(n.Name))
		x, y := n.X-n.W/2, n.Y-n.H/2
		switch n.Type {
		case KindStart, KindEnd:
			fmt.Fprintf(&b, `<rect x="%s" y="%s" width="%s" height="%s" rx="%s"/><text class="name" x="%s" y="%s" text-anchor="middle">%s</text>`,
				f(x), f(y), f(n.W), f(n.H), f(n.H/2), f(n.X), f(n.Y+4.5), esc(n.Name))
		default:
			fmt.Fprintf(&b, `<rect x="%s" y="%s" width="%s" height="%s" rx="6"/>`, f(x), f(y), f(n.W), f(n.H))
			fmt.Fprintf(&b, `<text class="name" x="%s" y="%s" text-anchor="middle">%s</text>`, f(n.X), f(n.Y-3), esc(n.Name))
			typ := n.Type
			if n.Visits > 1 {
				typ += fmt.Sprintf(" · %d×", n.Visits)
			}
			fmt.Fprintf(&b, `<text class="type" x="%s" y="%s" text-anchor="middle">%s</text>`, f(n.X), f(n.Y+13), esc(typ))
		}
		b.WriteString(`</g>`)
	}
	b.WriteString(`</g></svg>`)
	return template.HTML(b.String()) // every text above is escaped
}

// pathData draws an edge as vertical Bézier curves through its points, or,
// for a loop, as a curve out to the right and back up.
func pathData(e *Edge) string {
	f := func(v float64) string { return fmt.Sprintf("%.1f", v) }
	p := e.Points
	if e.Back {
		a, z := p[0], p[1]
		c := max(a.X, z.X) + loopRoom
		return fmt.Sprintf("M%s,%s C%s,%s %s,%s %s,%s", f(a.X), f(a.Y), f(c), f(a.Y), f(c), f(z.Y), f(z.X+2), f(z.Y))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "M%s,%s", f(p[0].X), f(p[0].Y))
	for i := 1; i < len(p); i++ {
		a, z := p[i-1], p[i]
		dy := (z.Y - a.Y) / 2
		fmt.Fprintf(&b, " C%s,%s %s,%s %s,%s", f(a.X), f(a.Y+dy), f(z.X), f(z.Y-dy), f(z.X), f(z.Y))
	}
	return b.String()
}
