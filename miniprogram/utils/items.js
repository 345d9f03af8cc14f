/**
 * Shapes API items for display: an issue or wish with full photo URLs, local times, grouped
 * phones and its timeline as steps (label, who, when, note, photos).
 */
const fmt = require('./format');

/** @param {any[] | null | undefined} timeline */
function steps(timeline) {
  return (timeline || []).map((t) => ({
    title: `${t.label}`,
    content: [t.actor, fmt.dateTime(t.at), t.note].filter(Boolean).join(' · '),
    photos: fmt.photoUrls(t.photos),
  }));
}

/** @param {any} issue IssueOut */
function issueView(issue) {
  return {
    ...issue,
    status_label: fmt.issueStatusWord(issue.status, issue.status_label),
    deadlineDay: fmt.monthDay(issue.deadline),
    createdText: fmt.dateTime(issue.created_at),
    deadlineText: fmt.dateTime(issue.deadline),
    resolvedText: fmt.dateTime(issue.resolved_at),
    phoneText: fmt.groupPhone(issue.contact_phone),
    photoList: fmt.photoUrls(issue.photos),
    resolutionPhotoList: fmt.photoUrls(issue.resolution_photos),
    steps: steps(issue.timeline),
    stewardNames: (issue.stewards || []).map((/** @type {any} */ s) => s.name).join('、'),
    ratingWord: issue.rating ? fmt.RATING_WORDS[issue.rating - 1] : '',
  };
}

/** @param {any} wish WishOut */
function wishView(wish) {
  return {
    ...wish,
    createdText: fmt.dateTime(wish.created_at),
    fulfilledText: fmt.dateTime(wish.fulfilled_at),
    phoneText: fmt.groupPhone(wish.contact_phone),
    photoList: fmt.photoUrls(wish.photos),
    fulfilPhotoList: fmt.photoUrls(wish.fulfil_photos),
    steps: steps(wish.timeline),
    ratingWord: wish.rating ? fmt.RATING_WORDS[wish.rating - 1] : '',
  };
}

module.exports = { issueView, wishView, steps };
