// Package analytics turns stored tracks into what a store wants to know (footfall, occupancy, where
// people linger, which way they go, how long the tills queue) and answers the pages' questions about
// it. It is pure Go: no database (it reads and writes through backoffice.AggregateStore), no clock (times
// are passed in), no track ids in anything it produces.
//
// # Layout
//
// Each store has one Layout, drawn in one space: floor metres for calibrated sensors, or fractions of the
// frame (x of the width, y of the height, y down) for one uncalibrated camera. The same code runs on
// both; in image space every distance default is the floor one divided by ImageMetre (20), the same
// "a twentieth of the frame is about a metre" the minimisation rules use, and distances are measured on
// the fractions as they are (x and y unscaled), so a heat cell is 1/40 of the width by 1/40 of the height.
//
// # Metrics
//
// Every figure is kept per 15-minute bucket (Bucket) and rolled up to hours and days of the Service's
// location when asked; every figure adds up over buckets and sensors. A track sent in segments is joined
// into one path first (Join).
//
//   - Line counts: a crossing of the line segment (not the infinite line) with hysteresis. A track
//     counts when it gets Hysteresis past the line on the far side, having touched the segment on its
//     way there since it was last Hysteresis clear on the near side; jitter or loitering within the
//     band counts nothing, and walking around the end of a line counts nothing. In and Out by
//     direction (see Line); Tracks counts each track once per line.
//   - Footfall (Entries): tracks whose first "in" crossing of an entrance line falls in the bucket.
//   - Occupancy: person-seconds in view (Presence; the mean is Presence / bucket length) and the
//     people in view at every 10 s (Samples; the peak is their maximum). Arrivals: tracks that appeared.
//   - Zone visits and dwell: the times a track is inside a zone's polygon (entry and exit interpolated
//     between samples), stays separated by less than Debounce merged into one visit, visits shorter
//     than MinVisit dropped. A visit belongs to the bucket it began in; Seconds are spread over the
//     buckets it spans. A track that ends inside a zone ends its visit at its last point.
//     Dwell p50/p90 come from a histogram (1 s bins to 2 min, 5 s to 10 min, 30 s to 1 h, 5 min to 4 h).
//   - Heatmap: a grid of Cell-sized squares. Each step between two samples is rasterised (every cell the
//     straight segment passes through, so a fast walker leaves no gaps) and its time shared among the
//     cells in proportion to the length in each. Visits: tracks that entered the cell (once per track);
//     Seconds: time spent in it.
//   - Origin–destination: per track, the zone of its first visit and of its last, in the bucket the
//     track appeared.
//   - Queues: a queue is a zone whose visits are waits: length is the people in its area (mean and
//     10-s peak), waiting time the duration of each wait (p50/p90).
//
// Counts of distinct tracks (Arrivals, Entries, line and zone Tracks, OD, heat Visits) count a track
// once per key over its whole path, in the bucket where it first qualified, so that a sum over any
// buckets never counts a track twice; they are what k-anonymity and the noise act on.
//
// # Computation
//
// Aggregates are computed per unit: the tracks of one sensor whose first kept segment started in one
// UTC hour (Unit), read together with the segments up to Span later. backoffice/aggregator recomputes a
// unit whenever its tracks or the layout change, and leaves alone the units whose tracks have been
// purged, so the aggregates outlive the raw tracks.
//
// # Queries
//
// Service implements Queries, the API of the pages, over any backoffice.AggregateStore (SQLite, and any
// other store that passes storetest):
//
//	Live(store, now)            people in view now (sensors' stats), net entries today
//	Footfall(store, day)        entrance counts by local hour, and the same weekday a week earlier
//	Series(range)               per 15 min, hour or day: entries, line in/out, arrivals, occupancy, peak
//	Heatmap(range)              cells with visits and seconds, the cell size and the floor plan
//	Zones(range), Queues(range) visits, dwell p50/p90/total; queue length mean/peak, wait p50/p90
//	OD(range)                   the origin–destination matrix
//	PublicFootfall(store, day)  entries by hour, k-suppressed, noised in noise mode
//	WriteCSV(w, export)         CSV, operator or public
//
// # Privacy of published figures
//
// Outputs that leave the operator's view (PublicFootfall, WriteCSV with Public) hold only counts of
// distinct tracks. A count under K (default 5) is suppressed: an interval is marked suppressed, a heat
// cell or OD pair is left out. In noise mode each published count gets Laplace noise of scale 1/ε
// (default ε = 1), rounded and clamped at 0. Sensitivity: one track adds at most 1 to one interval of a
// series (each distinct-track count takes a track once), so a day's public footfall is ε-differentially
// private for the track; a public CSV costs ε per count a track appears in (its interval's footfall, the
// lines and zones it crossed, its OD pair, the cells it entered). The noise is drawn from HMAC-SHA256
// under a 256-bit secret key made with crypto/rand and kept in the store, keyed by what is published, so
// the same question gets the same answer and repeating it averages nothing away. Suppression is decided on
// the true count, so the threshold is exact (and is not itself noised).
//
// # CSV
//
// One row per interval, metric and key: store, start, end (RFC 3339, local), metric, key, value,
// suppressed. Operator metrics: footfall, arrivals, occupancy_mean, occupancy_peak, line_in, line_out,
// line_tracks (key: line), zone_visits, zone_tracks, zone_seconds, zone_dwell_p50_s, zone_dwell_p90_s,
// zone_dwell_total_s (key: zone), queue_length_mean, queue_length_peak, queue_waits, queue_tracks,
// queue_wait_p50_s, queue_wait_p90_s (key: queue), od (key: "from>to"), heat_visits, heat_seconds (key:
// "x:y", the cell). Public metrics: footfall, line_tracks, zone_tracks, od and heat_visits, suppressed
// rows with an empty value and suppressed=true (OD pairs and cells under K are left out).
package analytics
