package hwcheck

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteText writes the report as a table, one row per check, with hints and the camera's formats on
// indented lines below their row.
func (r *Report) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintf(tw, "CHECK\tRESULT\tDETAIL\n")
	for _, c := range r.Checks {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", c.Name, c.Status, oneLine(c.Detail))
		for _, f := range c.Formats {
			mark := "not usable"
			if f.Usable {
				mark = "usable"
			}
			fmt.Fprintf(tw, "\t\t  %s (%s, %s): %s\n", f.FourCC, oneLine(f.Description), mark, sizes(f.Sizes, 8))
		}
		if c.Hint != "" {
			fmt.Fprintf(tw, "\t\t  hint: %s\n", oneLine(c.Hint))
		}
	}
	verdict := "all checks passed or were skipped"
	if !r.OK {
		var failed []string
		for _, c := range r.Checks {
			if c.Status == Fail {
				failed = append(failed, c.Name)
			}
		}
		verdict = "FAILED: " + strings.Join(failed, ", ")
	}
	fmt.Fprintf(tw, "\n%s\n", verdict)
	return tw.Flush()
}

// WriteJSON writes the report as one indented JSON object.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// sizes lists at most n sizes, then how many more there are.
func sizes(s []string, n int) string {
	if len(s) == 0 {
		return "no sizes listed"
	}
	if len(s) <= n {
		return strings.Join(s, " ")
	}
	return fmt.Sprintf("%s … (%d more)", strings.Join(s[:n], " "), len(s)-n)
}
