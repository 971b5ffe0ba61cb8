// The one Prometheus text writer against the exposition format's own examples
// (https://prometheus.io/docs/instrumenting/exposition_formats/#text-format-example).
import { describe, expect, it } from "vitest";
import { exposition } from "../../src/core/index.ts";

describe("the Prometheus text writer", () => {
  it("writes the format's counter example: HELP, TYPE, then one line per label set", () => {
    const text = exposition([
      {
        name: "http_requests_total",
        help: "The total number of HTTP requests.",
        type: "counter",
        samples: [
          { labels: { method: "post", code: "200" }, value: 1027 },
          { labels: { method: "post", code: "400" }, value: 3 },
        ],
      },
    ]);
    expect(text).toBe(
      "# HELP http_requests_total The total number of HTTP requests.\n" +
        "# TYPE http_requests_total counter\n" +
        'http_requests_total{method="post",code="200"} 1027\n' +
        'http_requests_total{method="post",code="400"} 3\n',
    );
  });

  it("escapes label values as the format's example does (backslash, double quote, line feed), and HELP text", () => {
    const text = exposition([
      {
        name: "msdos_file_access_time_seconds",
        help: "a\\b\nc",
        type: "gauge",
        samples: [{ labels: { path: "C:\\DIR\\FILE.TXT", error: 'Cannot find file:\n"FILE.TXT"' }, value: 1.458255915e9 }],
      },
    ]);
    expect(text).toContain(
      'msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1458255915\n',
    );
    expect(text).toContain("# HELP msdos_file_access_time_seconds a\\\\b\\nc\n");
  });

  it("writes a histogram's _bucket, _sum and _count series, +Inf and NaN as the format spells them", () => {
    const text = exposition([
      {
        name: "http_request_duration_seconds",
        help: "A histogram of the request duration.",
        type: "histogram",
        samples: [
          { suffix: "_bucket", labels: { le: "0.05" }, value: 24054 },
          { suffix: "_bucket", labels: { le: "+Inf" }, value: 144320 },
          { suffix: "_sum", value: 53423 },
          { suffix: "_count", value: 144320 },
        ],
      },
      { name: "x", help: "x", type: "gauge", samples: [{ value: Number.POSITIVE_INFINITY }, { value: Number.NaN }] },
    ]);
    expect(text.split("\n")).toEqual([
      "# HELP http_request_duration_seconds A histogram of the request duration.",
      "# TYPE http_request_duration_seconds histogram",
      'http_request_duration_seconds_bucket{le="0.05"} 24054',
      'http_request_duration_seconds_bucket{le="+Inf"} 144320',
      "http_request_duration_seconds_sum 53423",
      "http_request_duration_seconds_count 144320",
      "# HELP x x",
      "# TYPE x gauge",
      "x +Inf",
      "x NaN",
      "",
    ]);
  });

  it("leaves out a family without samples, and writes nothing for none", () => {
    expect(exposition([{ name: "a", help: "a", type: "gauge", samples: [] }])).toBe("");
  });
});
