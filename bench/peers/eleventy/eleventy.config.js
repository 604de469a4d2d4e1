// Eleventy setup for Probable's benchmark: the pages Probable makes, no more.
// bench/run.py passes --config=<this file> and --input=<corpus folder>, so
// the plugins below resolve from this folder's node_modules.
import syntaxHighlight from "@11ty/eleventy-plugin-syntaxhighlight";
import markdownItAnchor from "markdown-it-anchor";

const MONTHS = ["January", "February", "March", "April", "May", "June", "July",
  "August", "September", "October", "November", "December"];

/** @param {import("@11ty/eleventy").UserConfig} config */
export default function (config) {
  // Highlighted code and heading ids, as Probable renders them.
  config.addPlugin(syntaxHighlight);
  config.amendLibrary("md", (md) => md.use(markdownItAnchor));
  config.addPassthroughCopy("static");

  config.addFilter("isodate", (date) => date.toISOString().slice(0, 10));
  config.addFilter("longdate", (date) => [date.getUTCDate(),
    MONTHS[date.getUTCMonth()], date.getUTCFullYear()].join(" "));
  config.addFilter("rfc822", (date) => date.toUTCString());
  config.addFilter("minutes", (html) =>
    Math.max(1, Math.ceil(String(html).split(/\s+/).length / 220)));
  config.addFilter("head", (items, count) => items.slice(0, count));
  config.addFilter("postTags", (collections) =>
    Object.keys(collections).filter((t) => t !== "all" && t !== "post").sort());

  return {
    // Posts are plain Markdown: no Liquid pass over their bodies.
    markdownTemplateEngine: false,
    htmlTemplateEngine: "njk",
    dir: { includes: "_includes", data: "_data" },
  };
}
