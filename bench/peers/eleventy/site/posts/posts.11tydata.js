// Data every post shares. Posts skip template engines, so values that
// depend on the page are computed here rather than written as templates.
export default {
  eleventyComputed: {
    permalink: (data) => `/posts/${data.page.fileSlug}/`,
    year: (data) => data.page.date.getUTCFullYear(),
  },
};
