/** Events per history page: the newest page opens a chat (read on the server with the page), older ones load as
 * the reader scrolls up. */
export const HISTORY_PAGE = 500;
