#include "report.hpp"
#include "report_format.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace respool::benchmark {

namespace {

// XML text and attribute values.
std::string xml_escape(std::string_view s) {
  std::string out;
  for (const char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// A round step for an axis from 0 to `top` with about `ticks` divisions: 1, 2 or 5 times a
// power of ten.
double nice_step(double top, int ticks) {
  if (!(top > 0)) return 1;
  const double raw = top / ticks;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  for (const double m : {1.0, 2.0, 5.0, 10.0}) {
    if (m * magnitude >= raw) return m * magnitude;
  }
  return 10 * magnitude;
}

std::string axis_label(double v) {
  std::string s;
  if (v >= 1e6) {
    appendf(s, "%gM", v / 1e6);
  } else if (v >= 1e3) {
    appendf(s, "%gk", v / 1e3);
  } else {
    appendf(s, "%g", v);
  }
  return s;
}

constexpr const char* palette[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                                   "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};

// Where everything goes: a title, a bar per test (requests per second), then a plot of
// latency against percentile on a "nines" scale (x = log10(1 / (1 − p)): 90 % at 1, 99 % at
// 2, …).
struct layout {
  double width = 960;
  double left = 260, right = 40;
  double bar_h = 22, bar_gap = 6;
  double bars_top = 70;
  double bars_h = 0;
  double plot_top = 0;
  double plot_h = 360;
  double plot_left = 90, plot_right = width - 220;
  double height = 0;
  double max_nines = 4;  // up to 99.99 %

  explicit layout(std::size_t tests)
      : bars_h(static_cast<double>(tests) * (bar_h + bar_gap)),
        plot_top(bars_top + bars_h + 90),
        height(plot_top + plot_h + 70) {}

  double x_of(double nines) const {
    return plot_left + (plot_right - plot_left) * nines / max_nines;
  }
};

// Points of each test's latency curve, in ms, from percentile 0 to max_nines.
constexpr int steps = 80;

void append_title(std::string& out, const layout& l, const run_settings& run) {
  appendf(out,
          "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
          "viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\" font-size=\"12\">\n",
          l.width, l.height, l.width, l.height);
  appendf(out, "<rect x=\"0\" y=\"0\" width=\"%.0f\" height=\"%.0f\" fill=\"#ffffff\"/>\n", l.width,
          l.height);
  std::string where = run.socket.empty() ? run.host + ":" + std::to_string(run.port) : run.socket;
  appendf(out,
          "<text x=\"20\" y=\"28\" font-size=\"16\" font-weight=\"bold\">respool-benchmark: %s"
          "</text>\n",
          xml_escape(where).c_str());
  appendf(out,
          "<text x=\"20\" y=\"48\" fill=\"#555555\">%d clients, pipeline %d, %d bytes payload, "
          "%lld requests per test%s</text>\n",
          run.clients, run.pipeline, run.data_size, static_cast<long long>(run.requests),
          run.threads > 0 ? (", " + std::to_string(run.threads) + " threads").c_str() : "");
}

void append_throughput_bars(std::string& out, const layout& l,
                            std::span<const test_figures> tests) {
  double top_rps = 0;
  for (const test_figures& t : tests) {
    const double r = summarize(t).rps;
    if (std::isfinite(r)) top_rps = std::max(top_rps, r);
  }
  const double rps_step = nice_step(top_rps, 5);
  const double rps_axis = top_rps > 0 ? std::ceil(top_rps / rps_step) * rps_step : 1;
  const double bars_w = l.width - l.left - l.right;
  for (double v = 0; v <= rps_axis + rps_step / 2; v += rps_step) {
    const double x = l.left + bars_w * v / rps_axis;
    appendf(out,
            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#dddddd\"/>\n"
            "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#555555\">%s</text>\n",
            x, l.bars_top - 4, x, l.bars_top + l.bars_h, x, l.bars_top + l.bars_h + 16,
            axis_label(v).c_str());
  }
  appendf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">requests per second</text>\n",
          l.left + bars_w / 2, l.bars_top + l.bars_h + 34);
  for (std::size_t i = 0; i < tests.size(); ++i) {
    const summary s = summarize(tests[i]);
    const double y = l.bars_top + static_cast<double>(i) * (l.bar_h + l.bar_gap);
    const double r = std::isfinite(s.rps) ? s.rps : 0;
    const double w = bars_w * r / rps_axis;
    const char* color = palette[i % std::size(palette)];
    appendf(out,
            "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n"
            "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>\n"
            "<text x=\"%.1f\" y=\"%.1f\" fill=\"#333333\">%.0f</text>\n",
            l.left - 8, y + l.bar_h * 0.7, xml_escape(tests[i].title).c_str(), l.left, y, w,
            l.bar_h, color, l.left + w + 6, y + l.bar_h * 0.7, r);
  }
}

// The grid, the axes' labels and the frame of the latency plot, up to `ms_axis`.
void append_latency_axes(std::string& out, const layout& l, double ms_axis, double ms_step) {
  const auto y_of = [&](double v) { return l.plot_top + l.plot_h - l.plot_h * v / ms_axis; };
  appendf(out,
          "<text x=\"20\" y=\"%.1f\" font-size=\"14\" font-weight=\"bold\">Latency by "
          "percentile (ms)</text>\n",
          l.plot_top - 24);
  for (double v = 0; v <= ms_axis + ms_step / 2; v += ms_step) {
    appendf(out,
            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#dddddd\"/>\n"
            "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" fill=\"#555555\">%g</text>\n",
            l.plot_left, y_of(v), l.plot_right, y_of(v), l.plot_left - 6, y_of(v) + 4, v);
  }
  const char* const x_labels[] = {"0%", "90%", "99%", "99.9%", "99.99%"};
  for (int n = 0; n <= static_cast<int>(l.max_nines); ++n) {
    appendf(out,
            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#dddddd\"/>\n"
            "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#555555\">%s</text>\n",
            l.x_of(n), l.plot_top, l.x_of(n), l.plot_top + l.plot_h, l.x_of(n),
            l.plot_top + l.plot_h + 16, x_labels[n]);
  }
  appendf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">percentile</text>\n",
          (l.plot_left + l.plot_right) / 2, l.plot_top + l.plot_h + 36);
  appendf(out,
          "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
          "stroke=\"#999999\"/>\n",
          l.plot_left, l.plot_top, l.plot_right - l.plot_left, l.plot_h);
}

void append_latency_plot(std::string& out, const layout& l, std::span<const test_figures> tests) {
  std::vector<std::vector<double>> curves;
  double top_ms = 0;
  for (const test_figures& t : tests) {
    std::vector<double> c;
    for (int k = 0; k <= steps; ++k) {
      const double nines = l.max_nines * k / steps;
      const double p = 100.0 * (1.0 - std::pow(10.0, -nines));
      c.push_back(ms(t.latency.value_at_percentile(p)));
      top_ms = std::max(top_ms, c.back());
    }
    curves.push_back(std::move(c));
  }
  const double ms_step = nice_step(top_ms, 6);
  const double ms_axis = top_ms > 0 ? std::ceil(top_ms / ms_step) * ms_step : 1;
  append_latency_axes(out, l, ms_axis, ms_step);
  const auto y_of = [&](double v) { return l.plot_top + l.plot_h - l.plot_h * v / ms_axis; };
  for (std::size_t i = 0; i < curves.size(); ++i) {
    const char* color = palette[i % std::size(palette)];
    out += "<polyline fill=\"none\" stroke-width=\"2\" stroke=\"";
    out += color;
    out += "\" points=\"";
    for (int k = 0; k <= steps; ++k) {
      appendf(out, "%s%.1f,%.1f", k == 0 ? "" : " ", l.x_of(l.max_nines * k / steps),
              y_of(curves[i][static_cast<std::size_t>(k)]));
    }
    out += "\"/>\n";
    const double ly = l.plot_top + 10 + static_cast<double>(i) * 18;
    appendf(out,
            "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"12\" fill=\"%s\"/>\n"
            "<text x=\"%.1f\" y=\"%.1f\">%s</text>\n",
            l.plot_right + 14, ly, color, l.plot_right + 32, ly + 10,
            xml_escape(tests[i].title).c_str());
  }
}

}  // namespace

std::string svg_chart(const run_settings& run, std::span<const test_figures> tests) {
  const layout l(tests.size());
  std::string out;
  append_title(out, l, run);
  append_throughput_bars(out, l, tests);
  append_latency_plot(out, l, tests);
  out += "</svg>\n";
  return out;
}

}  // namespace respool::benchmark
