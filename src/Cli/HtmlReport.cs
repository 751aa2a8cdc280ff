using System.Globalization;
using System.Net;
using System.Text;
using Warmup.Runtime;
using Warmup.Runtime.Measurement;

namespace Warmup.Cli;

/// <summary>A self-contained HTML page (no scripts, no external files) with an inline SVG bar chart of a measurement.</summary>
internal static class HtmlReport
{
    private const string ColdColor = "#d9534f";
    private const string WarmColor = "#f0ad4e";
    private const string SteadyColor = "#5cb85c";
    private const string ContextColor = "#5bc0de";

    public static void Write(Stream stream, WarmupMeasurementReport report, string model, string device)
    {
        var html = new StringBuilder();
        var s = report.Summary;
        AppendHead(html, model, "Warmup measurement");
        html.Append(CultureInfo.InvariantCulture, $$"""
            <p>Model <code>{{E(model)}}</code>, warmup file <code>{{E(report.Source)}}</code>, device {{E(device)}}.
            {{s.Shapes}} request shape(s) from {{s.Records}} record(s); {{s.Iterations}} iteration(s) per record when warming; steady p50 over {{s.SteadyRuns}} runs.</p>
            <p>First request / steady p50: <strong>without warmup</strong> median {{s.MedianColdFirstRatio:0.00}}&times; (max {{s.MaxColdFirstRatio:0.00}}&times;),
            <strong>after warmup</strong> median {{s.MedianWarmFirstRatio:0.00}}&times; (max {{s.MaxWarmFirstRatio:0.00}}&times;).
            After warmup against the steady p50 in context (each shape right after record {{s.ContextRecordIndex}}, as after the replay): median {{s.MedianWarmFirstInContextRatio:0.00}}&times;
            (max {{s.MaxWarmFirstInContextRatio:0.00}}&times;); 1.0 is the limit of warmup. Replaying the file took {{s.WarmupWallMs:0.0}} ms.</p>
            <p class="legend"><span style="background:{{ColdColor}}"></span>cold first (fresh session, no warmup)
            <span style="background:{{WarmColor}}"></span>warm first (fresh session, right after the replay)
            <span style="background:{{SteadyColor}}"></span>steady p50 (back to back)
            <span style="background:{{ContextColor}}"></span>steady p50 in context</p>

            """);
        AppendChart(html, report);
        html.Append("<table>\n<tr><th>#</th><th>shape</th><th>records</th><th>cold first (ms)</th><th>warm first (ms)</th><th>steady p50 (ms)</th><th>in context (ms)</th>" +
            "<th>cold / p50</th><th>warm / p50</th><th>warm / in context</th></tr>\n");
        foreach (var shape in report.Shapes)
        {
            html.Append(CultureInfo.InvariantCulture,
                $"<tr><td>{shape.FirstRecordIndex}</td><td class=\"shape\">{E(shape.Shape)}</td><td>{shape.Records}</td><td>{shape.ColdFirstMs:0.000}</td><td>{shape.WarmFirstMs:0.000}</td>" +
                $"<td>{shape.SteadyP50Ms:0.000}</td><td>{shape.InContextP50Ms:0.000}</td><td>{shape.ColdFirstRatio:0.00}&times;</td><td>{shape.WarmFirstRatio:0.00}&times;</td>" +
                $"<td>{shape.WarmFirstInContextRatio:0.00}&times;</td></tr>\n");
        }

        html.Append("</table>\n<p>Written by <code>warmup measure</code>.</p>\n</body>\n</html>\n");
        var bytes = new UTF8Encoding(false).GetBytes(html.ToString());
        stream.Write(bytes);
    }

    // Grouped horizontal bars: one group per shape, four bars (cold, warm, steady, in context), one shared linear scale in ms.
    private static void AppendChart(StringBuilder html, WarmupMeasurementReport report) =>
        AppendBars(html, report.Shapes.Select(s => ($"#{s.FirstRecordIndex} {s.Shape}", new[]
        {
            (One(s.ColdFirstMs), ColdColor, "cold first"), (One(s.WarmFirstMs), WarmColor, "warm first"), (One(s.SteadyP50Ms), SteadyColor, "steady p50"),
            (One(s.InContextP50Ms), ContextColor, "steady p50 in context"),
        })).ToArray(), ranges: false, "cold, warm, steady and in-context steady latency per shape");

    private static Spread One(double value) => new(value, value, value);

    /// <summary>The fresh-process report: medians over processes with their min–max, as bars with whiskers, and time to ready.</summary>
    public static void Write(Stream stream, ProcessMeasurementReport report, string model, string device)
    {
        var html = new StringBuilder();
        var s = report.Summary;
        AppendHead(html, model, "Warmup measurement in fresh processes");
        html.Append(CultureInfo.InvariantCulture, $$"""
            <p>Model <code>{{E(model)}}</code>, warmup file <code>{{E(report.Source)}}</code>, device {{E(device)}}.
            {{s.Shapes}} request shape(s) from {{s.Records}} record(s); {{s.Processes}} fresh process(es) per condition; {{s.Iterations}} iteration(s) per record when warming;
            steady p50 over {{s.SteadyRuns}} runs in each process. Figures are medians over processes, with the min–max in brackets; each ratio is taken within a process.</p>
            <p>First request / steady p50: <strong>without warmup</strong> median {{s.MedianColdFirstRatio:0.00}}&times; (max {{s.MaxColdFirstRatio:0.00}}&times;),
            <strong>after warmup</strong> median {{s.MedianWarmFirstRatio:0.00}}&times; (max {{s.MaxWarmFirstRatio:0.00}}&times;).</p>
            <table>
            <tr><th>time to ready (ms)</th><th>session creation</th><th>replay</th><th>total</th></tr>
            <tr><td>without warmup</td><td>{{Cell(s.Cold.SessionMs)}}</td><td>&ndash;</td><td>{{Cell(s.Cold.TotalMs)}}</td></tr>
            <tr><td>with warmup</td><td>{{Cell(s.Warm.SessionMs)}}</td><td>{{Cell(s.Warm.ReplayMs)}}</td><td>{{Cell(s.Warm.TotalMs)}}</td></tr>
            </table>
            <p>The steady runs the replay stands in for (each record's iterations at its shape's steady p50): {{Cell(s.AbsorbedSteadyMs)}} ms.</p>
            <p class="legend"><span style="background:{{ColdColor}}"></span>cold first (fresh process, no warmup)
            <span style="background:{{WarmColor}}"></span>warm first (fresh process, after the replay)
            <span style="background:{{SteadyColor}}"></span>steady p50; whiskers span the min–max over processes</p>

            """);
        AppendSpreadChart(html, report);
        html.Append("<table>\n<tr><th>#</th><th>shape</th><th>records</th><th>cold first (ms)</th><th>warm first (ms)</th><th>steady p50 (ms)</th>" +
            "<th>cold / p50</th><th>warm / p50</th></tr>\n");
        foreach (var shape in report.Shapes)
        {
            html.Append(CultureInfo.InvariantCulture,
                $"<tr><td>{shape.FirstRecordIndex}</td><td class=\"shape\">{E(shape.Shape)}</td><td>{shape.Records}</td><td>{Cell(shape.ColdFirstMs)}</td><td>{Cell(shape.WarmFirstMs)}</td>" +
                $"<td>{Cell(shape.SteadyP50Ms)}</td><td>{Cell(shape.ColdFirstToSteady, "&times;")}</td><td>{Cell(shape.WarmFirstToSteady, "&times;")}</td></tr>\n");
        }

        html.Append("</table>\n<p>Written by <code>warmup measure --scope process</code>.</p>\n</body>\n</html>\n");
        stream.Write(new UTF8Encoding(false).GetBytes(html.ToString()));
    }

    private static string Cell(Spread spread, string unit = "") => string.Create(CultureInfo.InvariantCulture,
        $"{spread.Median:0.000}{unit} <span class=\"range\">[{spread.Min:0.000}&ndash;{spread.Max:0.000}]</span>");

    // Grouped horizontal bars of the medians (cold, warm, steady) with a whisker from min to max, on one linear scale in ms.
    private static void AppendSpreadChart(StringBuilder html, ProcessMeasurementReport report) =>
        AppendBars(html, report.Shapes.Select(s => ($"#{s.FirstRecordIndex} {s.Shape}", new[]
        {
            (s.ColdFirstMs, ColdColor, "cold first"), (s.WarmFirstMs, WarmColor, "warm first"), (s.SteadyP50Ms, SteadyColor, "steady p50"),
        })).ToArray(), ranges: true, "cold, warm and steady latency per shape, medians and ranges over processes");

    // One group of bars per shape on one shared linear scale in ms; with ranges, each bar has a whisker from min to max.
    private static void AppendBars(StringBuilder html, (string Label, (Spread Value, string Color, string Name)[] Bars)[] groups, bool ranges, string description)
    {
        const int Left = 260, BarHeight = 14, GroupGap = 14, PlotWidth = 560, Top = 10;
        var max = groups.SelectMany(g => g.Bars.Select(b => b.Value.Max)).DefaultIfEmpty(1).Max();
        max = max > 0 ? max : 1;
        var height = Top + groups.Sum(g => (g.Bars.Length * BarHeight) + GroupGap) + 30;
        html.Append(CultureInfo.InvariantCulture,
            $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Left + PlotWidth + 90}\" height=\"{height}\" role=\"img\" aria-label=\"{E(description)}\" font-family=\"sans-serif\" font-size=\"11\">\n");
        var y = Top;
        foreach (var (label, bars) in groups)
        {
            var shown = label.Length > 44 ? label[..43] + "…" : label;
            html.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left - 6}\" y=\"{y + (bars.Length * BarHeight / 2.0) + 4}\" text-anchor=\"end\">{E(shown)}</text>\n");
            foreach (var (spread, color, name) in bars)
            {
                var width = Math.Max(1, spread.Median / max * PlotWidth);
                var to = Left + (spread.Max / max * PlotWidth);
                var title = ranges ? $"{name}: median {spread.Median:0.000} ms, {spread.Min:0.000}–{spread.Max:0.000} ms" : $"{name}: {spread.Median:0.000} ms";
                html.Append(CultureInfo.InvariantCulture,
                    $"<rect x=\"{Left}\" y=\"{y}\" width=\"{width:0.0}\" height=\"{BarHeight - 2}\" fill=\"{color}\"><title>{title}</title></rect>");
                if (ranges)
                {
                    var middle = y + ((BarHeight - 2) / 2.0);
                    html.Append(CultureInfo.InvariantCulture,
                        $"<line x1=\"{Left + (spread.Min / max * PlotWidth):0.0}\" y1=\"{middle:0.0}\" x2=\"{to:0.0}\" y2=\"{middle:0.0}\" stroke=\"#333\"/>");
                }

                html.Append(CultureInfo.InvariantCulture, $"<text x=\"{(ranges ? Math.Max(Left + width, to) : Left + width) + 4:0.0}\" y=\"{y + BarHeight - 4}\">{spread.Median:0.000} ms</text>\n");
                y += BarHeight;
            }

            y += GroupGap;
        }

        html.Append(CultureInfo.InvariantCulture,
            $"<line x1=\"{Left}\" y1=\"{Top - 4}\" x2=\"{Left}\" y2=\"{y}\" stroke=\"#444\"/>\n<text x=\"{Left}\" y=\"{y + 16}\">0 ms</text>" +
            $"<text x=\"{Left + PlotWidth}\" y=\"{y + 16}\" text-anchor=\"end\">{max:0.000} ms</text>\n</svg>\n");
    }

    private static void AppendHead(StringBuilder html, string model, string heading) => html.Append($$"""
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <title>Warmup measurement: {{E(Path.GetFileName(model))}}</title>
        <style>
        body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
        table { border-collapse: collapse; margin-top: 1em; }
        th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: right; }
        th { background: #f4f4f4; } td.shape { text-align: left; font-family: monospace; } .range { color: #777; }
        .legend span { display: inline-block; width: 12px; height: 12px; margin: 0 4px 0 12px; vertical-align: middle; }
        </style>
        </head>
        <body>
        <h1>{{E(heading)}}</h1>

        """);

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
