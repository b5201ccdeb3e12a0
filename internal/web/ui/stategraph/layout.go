package stategraph

import (
	"math"
	"sort"
	"strconv"
)

// Sizes of the drawing, in CSS pixels.
const (
	nodeH    = 46.0
	markerW  = 72.0
	markerH  = 30.0
	dummyW   = 12.0
	layerGap = 70.0
	nodeGap  = 36.0
	margin   = 16.0
	charW    = 8.0 // an average character of the 13px bold name
	minNodeW = 120.0
	loopRoom = 60.0 // room on the right for loops drawn beside the graph
	sweeps   = 6
)

// textWidth estimates the drawn width of s.
func textWidth(s string) float64 { return float64(len([]rune(s))) * charW }

// layout assigns layers, orders and positions, and routes the edges.
func (g *Graph) layout(start string) {
	out := map[string][]*Edge{}
	for _, e := range g.Edges {
		out[e.From] = append(out[e.From], e)
	}
	// Depth-first from Start: an edge to a state on the stack closes a
	// loop; it is drawn beside the graph and ignored by the layering.
	visit := map[string]int{}
	discovered := map[string]int{}
	var dfs func(n string)
	dfs = func(n string) {
		visit[n] = 1
		discovered[n] = len(discovered)
		for _, e := range out[n] {
			switch visit[e.To] {
			case 0:
				dfs(e.To)
			case 1:
				e.Back = true
			}
		}
		visit[n] = 2
	}
	dfs(KindStart)
	for _, n := range g.Nodes { // unreachable states, which validation refuses
		if visit[n.Name] == 0 && n.Name != KindEnd {
			dfs(n.Name)
		}
	}
	if visit[KindEnd] == 0 {
		discovered[KindEnd] = len(discovered)
	}

	// Layers by longest path over the forward edges (Kahn's order).
	indeg := map[string]int{}
	for _, e := range g.Edges {
		if !e.Back {
			indeg[e.To]++
		}
	}
	var queue []string
	for _, n := range g.Nodes {
		if indeg[n.Name] == 0 {
			queue = append(queue, n.Name)
		}
	}
	sort.SliceStable(queue, func(i, j int) bool { return discovered[queue[i]] < discovered[queue[j]] })
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, e := range out[n] {
			if e.Back {
				continue
			}
			if l := g.index[n].Layer + 1; l > g.index[e.To].Layer {
				g.index[e.To].Layer = l
			}
			if indeg[e.To]--; indeg[e.To] == 0 {
				queue = append(queue, e.To)
			}
		}
	}
	maxLayer := 0
	for _, n := range g.Nodes {
		if n.Name != KindEnd && n.Layer > maxLayer {
			maxLayer = n.Layer
		}
	}
	end := g.index[KindEnd]
	if end.Layer <= maxLayer {
		end.Layer = maxLayer + 1
	}
	maxLayer = end.Layer

	// Long forward edges pass through a placeholder on each layer between.
	type segment struct{ a, b *Node }
	var segs []segment
	chains := map[*Edge][]*Node{}
	for i, e := range g.Edges {
		from, to := g.index[e.From], g.index[e.To]
		if e.Back {
			continue
		}
		chain := []*Node{from}
		for l := from.Layer + 1; l < to.Layer; l++ {
			d := &Node{Name: "·" + e.From + "→" + e.To + "#" + strconv.Itoa(i) + "/" + strconv.Itoa(l), Dummy: true, Layer: l, W: dummyW, H: nodeH}
			discovered[d.Name] = discovered[e.From]
			g.Nodes = append(g.Nodes, d)
			chain = append(chain, d)
		}
		chain = append(chain, to)
		for k := 0; k+1 < len(chain); k++ {
			segs = append(segs, segment{chain[k], chain[k+1]})
		}
		chains[e] = chain
	}

	layers := make([][]*Node, maxLayer+1)
	for _, n := range g.Nodes {
		layers[n.Layer] = append(layers[n.Layer], n)
	}
	for _, l := range layers {
		sort.SliceStable(l, func(i, j int) bool { return discovered[l[i].Name] < discovered[l[j].Name] })
		for i, n := range l {
			n.Order = i
		}
	}
	preds, succs := map[*Node][]*Node{}, map[*Node][]*Node{}
	for _, s := range segs {
		succs[s.a] = append(succs[s.a], s.b)
		preds[s.b] = append(preds[s.b], s.a)
	}
	// Barycentre sweeps, down then up: each node moves towards the mean
	// position of its neighbours in the layer before, which removes most
	// crossings of graphs this size.
	reorder := func(l []*Node, nb map[*Node][]*Node) {
		key := map[*Node]float64{}
		for _, n := range l {
			key[n] = float64(n.Order)
			if ns := nb[n]; len(ns) > 0 {
				sum := 0.0
				for _, m := range ns {
					sum += float64(m.Order)
				}
				key[n] = sum / float64(len(ns))
			}
		}
		sort.SliceStable(l, func(i, j int) bool { return key[l[i]] < key[l[j]] })
		for i, n := range l {
			n.Order = i
		}
	}
	for s := 0; s < sweeps; s++ {
		if s%2 == 0 {
			for i := 1; i < len(layers); i++ {
				reorder(layers[i], preds)
			}
		} else {
			for i := len(layers) - 2; i >= 0; i-- {
				reorder(layers[i], succs)
			}
		}
	}

	// Sizes, then each layer centred on the widest.
	widest := 0.0
	widths := make([]float64, len(layers))
	for i, l := range layers {
		for k, n := range l {
			switch {
			case n.Dummy:
			case n.Type == KindStart || n.Type == KindEnd:
				n.W, n.H = markerW, markerH
			default:
				n.W, n.H = max(minNodeW, textWidth(n.Name)+32), nodeH
			}
			if k > 0 {
				widths[i] += nodeGap
			}
			widths[i] += n.W
		}
		widest = max(widest, widths[i])
	}
	for i, l := range layers {
		x := margin + (widest-widths[i])/2
		y := margin + float64(i)*(nodeH+layerGap) + nodeH/2
		for _, n := range l {
			n.X, n.Y = x+n.W/2, y
			x += n.W + nodeGap
		}
	}
	g.straighten(layers, preds, succs)
	minX, maxX := math.Inf(1), math.Inf(-1)
	for _, n := range g.Nodes {
		minX, maxX = min(minX, n.X-n.W/2), max(maxX, n.X+n.W/2)
	}
	for _, n := range g.Nodes {
		n.X += margin - minX
	}
	widest = maxX - minX
	g.Width = widest + 2*margin
	g.Height = float64(len(layers))*(nodeH+layerGap) - layerGap + 2*margin
	hasLoop := false
	for _, e := range g.Edges {
		if e.Back {
			hasLoop = true
			from, to := g.index[e.From], g.index[e.To]
			e.Points = []Point{{from.X + from.W/2, from.Y}, {to.X + to.W/2, to.Y}}
			continue
		}
		chain := chains[e]
		e.Points = e.Points[:0]
		for k, n := range chain {
			switch k {
			case 0:
				e.Points = append(e.Points, Point{n.X, n.Y + n.H/2})
			case len(chain) - 1:
				e.Points = append(e.Points, Point{n.X, n.Y - n.H/2})
			default:
				e.Points = append(e.Points, Point{n.X, n.Y})
			}
		}
	}
	if hasLoop {
		g.Width += loopRoom
	}
}

// straighten moves each node towards the mean position of its neighbours,
// layer by layer, down and then up, keeping each layer's order and gaps:
// edges get shorter and straighter than with centred layers.
func (g *Graph) straighten(layers [][]*Node, preds, succs map[*Node][]*Node) {
	pull := func(l []*Node, nb map[*Node][]*Node) {
		want := make([]float64, len(l))
		for i, n := range l {
			want[i] = n.X
			if ns := nb[n]; len(ns) > 0 {
				sum := 0.0
				for _, m := range ns {
					sum += m.X
				}
				want[i] = sum / float64(len(ns))
			}
		}
		// Blocks of nodes that touch sit where their members want on
		// average: a left-to-right pass merges a block into the one before
		// whenever they would overlap.
		type block struct {
			first, last int
			sum         float64 // of each member's wish less its offset in the block
			width       float64
		}
		var blocks []block
		offset := make([]float64, len(l))
		for i, n := range l {
			b := block{first: i, last: i, sum: want[i] - n.W/2, width: n.W}
			for len(blocks) > 0 {
				prev := blocks[len(blocks)-1]
				if prev.sum/float64(prev.last-prev.first+1)+prev.width+nodeGap <= b.sum/float64(b.last-b.first+1) {
					break
				}
				shift := prev.width + nodeGap
				for k := b.first; k <= b.last; k++ {
					offset[k] += shift
				}
				prev.sum += b.sum - shift*float64(b.last-b.first+1)
				prev.last, prev.width = b.last, prev.width+nodeGap+b.width
				blocks, b = blocks[:len(blocks)-1], prev
			}
			blocks = append(blocks, b)
		}
		for _, b := range blocks {
			start := b.sum / float64(b.last-b.first+1)
			for k := b.first; k <= b.last; k++ {
				l[k].X = start + offset[k] + l[k].W/2
			}
		}
	}
	for s := 0; s < 5; s++ {
		if s%2 == 0 {
			for i := 1; i < len(layers); i++ {
				pull(layers[i], preds)
			}
		} else {
			for i := len(layers) - 2; i >= 0; i-- {
				pull(layers[i], succs)
			}
		}
	}
}
