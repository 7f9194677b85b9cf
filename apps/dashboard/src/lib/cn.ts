import { createTailwindMerge } from 'tailwind-merge';

// tailwind-merge with the class groups this app's components take overrides in (sizes, spacing, colours, type,
// borders, layout), not its default table of every Tailwind utility: with that table it is 8.6 KB gzip on every
// route's first load, with this one 3.1 KB. A class in no group here is kept as it is, as a plain join would.
const any = () => true;
// `text-[13px]` is a size, `text-fg-muted` a colour: arbitrary values in brackets are lengths here.
const arbitrary = (value: string) => value.startsWith('[') && value.endsWith(']');
const scale = [any];
const radii = ['none', 'xs', 'sm', 'md', 'lg', 'xl', '2xl', '3xl', 'full', arbitrary];
const corners = ['t', 'r', 'b', 'l', 'tl', 'tr', 'br', 'bl'] as const;
const sides = ['x', 'y', 't', 'r', 'b', 'l'] as const;
// `bg-black/50` is a colour; `bg-cover` or `bg-linear-to-r` are not (in no group: kept).
const notColour =
  /^(clip|origin|cover|contain|auto|fixed|local|scroll|none|repeat|no-repeat|gradient|linear|radial|conic|blend)/;
const bgColour = (value: string) => !notColour.test(value);

const merge = createTailwindMerge(() => ({
  cacheSize: 500,
  theme: {},
  classGroups: {
    display: ['block', 'inline-block', 'inline', 'flex', 'inline-flex', 'grid', 'contents', 'hidden'],
    position: ['static', 'fixed', 'absolute', 'relative', 'sticky'],
    visibility: ['visible', 'invisible', 'sr-only', 'not-sr-only'],
    w: [{ w: scale }],
    'min-w': [{ 'min-w': scale }],
    'max-w': [{ 'max-w': scale }],
    h: [{ h: scale }],
    'min-h': [{ 'min-h': scale }],
    'max-h': [{ 'max-h': scale }],
    size: [{ size: scale }],
    p: [{ p: scale }],
    px: [{ px: scale }],
    py: [{ py: scale }],
    pt: [{ pt: scale }],
    pr: [{ pr: scale }],
    pb: [{ pb: scale }],
    pl: [{ pl: scale }],
    m: [{ m: scale }],
    mx: [{ mx: scale }],
    my: [{ my: scale }],
    mt: [{ mt: scale }],
    mr: [{ mr: scale }],
    mb: [{ mb: scale }],
    ml: [{ ml: scale }],
    gap: [{ gap: scale }],
    'flex-direction': [{ flex: ['row', 'row-reverse', 'col', 'col-reverse'] }],
    'flex-wrap': [{ flex: ['wrap', 'wrap-reverse', 'nowrap'] }],
    flex: [{ flex: ['1', 'auto', 'initial', 'none', arbitrary] }],
    shrink: ['shrink', { shrink: scale }],
    grow: ['grow', { grow: scale }],
    'align-items': [{ items: ['start', 'end', 'center', 'baseline', 'stretch'] }],
    'justify-content': [{ justify: ['start', 'end', 'center', 'between', 'around', 'evenly', 'stretch'] }],
    'align-self': [{ self: ['auto', 'start', 'end', 'center', 'stretch', 'baseline'] }],
    overflow: [{ overflow: ['auto', 'hidden', 'clip', 'visible', 'scroll'] }],
    'overflow-x': [{ 'overflow-x': ['auto', 'hidden', 'clip', 'visible', 'scroll'] }],
    'overflow-y': [{ 'overflow-y': ['auto', 'hidden', 'clip', 'visible', 'scroll'] }],
    whitespace: [{ whitespace: ['normal', 'nowrap', 'pre', 'pre-line', 'pre-wrap', 'break-spaces'] }],
    // Sizes before colours: a class is in the first group whose test it passes.
    'font-size': [{ text: ['xs', 'sm', 'base', 'lg', 'xl', '2xl', '3xl', '4xl', arbitrary] }],
    'text-alignment': [{ text: ['left', 'center', 'right', 'justify', 'start', 'end'] }],
    'text-overflow': ['truncate', 'text-ellipsis', 'text-clip'],
    'text-wrap': [{ text: ['wrap', 'nowrap', 'balance', 'pretty'] }],
    'text-color': [{ text: [any] }],
    'font-weight': [{ font: ['thin', 'light', 'normal', 'medium', 'semibold', 'bold', 'extrabold', 'black'] }],
    'font-family': [{ font: ['sans', 'serif', 'mono'] }],
    leading: [{ leading: scale }],
    tracking: [{ tracking: scale }],
    'bg-color': [{ bg: [bgColour] }],
    opacity: [{ opacity: scale }],
    rounded: ['rounded', { rounded: radii }],
    ...Object.fromEntries(
      corners.map((corner) => [`rounded-${corner}`, [`rounded-${corner}`, { [`rounded-${corner}`]: radii }]]),
    ),
    'border-collapse': [{ border: ['collapse', 'separate'] }],
    'border-style': [{ border: ['solid', 'dashed', 'dotted', 'double', 'hidden', 'none'] }],
    'border-w': ['border', { border: ['0', '2', '4', '8', arbitrary] }],
    ...Object.fromEntries(
      sides.map((side) => [`border-w-${side}`, [`border-${side}`, { [`border-${side}`]: ['0', '2', '4', '8'] }]]),
    ),
    'border-color': [{ border: [any] }],
    ...Object.fromEntries(sides.map((side) => [`border-color-${side}`, [{ [`border-${side}`]: [any] }]])),
    z: [{ z: scale }],
    cursor: [{ cursor: scale }],
  },
  conflictingClassGroups: {
    size: ['w', 'h'],
    p: ['px', 'py', 'pt', 'pr', 'pb', 'pl'],
    px: ['pr', 'pl'],
    py: ['pt', 'pb'],
    m: ['mx', 'my', 'mt', 'mr', 'mb', 'ml'],
    mx: ['mr', 'ml'],
    my: ['mt', 'mb'],
    overflow: ['overflow-x', 'overflow-y'],
    rounded: corners.map((corner) => `rounded-${corner}`),
    'border-w': sides.map((side) => `border-w-${side}`),
    'border-color': sides.map((side) => `border-color-${side}`),
  },
  conflictingClassGroupModifiers: {},
  orderSensitiveModifiers: [],
}));

/**
 * Joins class names, dropping falsy parts; where two set the same thing (`px-2` then `px-4`, `text-fg` then
 * `text-accent`, `w-full` then `w-64`), the later one wins, so a caller's `className` overrides a component's own.
 */
export function cn(...parts: Array<string | false | null | undefined>): string {
  return merge(...parts);
}
