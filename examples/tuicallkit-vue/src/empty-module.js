// Stands in for the chat SDK's optional plugins (tim-upload-plugin, tim-profanity-filter-plugin),
// which Tencent's tui-core imports; Dialtone has no chat, so nothing uses them.
export default {};
