// @ts-check
/**
 * Messages of what-if branches (the console's Branch panel, the branch note), in English and
 * Russian. Keys: `branches.<name>`.
 * @module messages/branches
 */

export default {
  en: {
    'branches.title': 'What if? Branch from a past round',
    'branches.hint': 'Start a new game from the start of a round (or of a phase) this game has reached, as every seat saw it then: its own code, seats, deadlines and bots. This game does not change. The branch waits paused until you resume it.',
    'branches.point': 'Start from',
    'branches.pointOption': '{round} — {phase}',
    'branches.titleLabel': 'Title of the branch',
    'branches.titleDefault': '{title} — what if ({round})',
    'branches.samePeople': 'Seat the same people in their factions (a link for each)',
    'branches.create': 'Start the branch',
    'branches.created': 'Branch started: join code {code}. It waits paused until you resume it in its console.',
    'branches.open': 'Open the branch’s console',
    'branches.personLink': 'Link for {name} ({faction})',
    'branches.note': 'This game is a branch of another, from {round} ({phase}).',
    'branches.parentLink': 'Open the original game',
    'branches.original': 'The original game',
    'branches.branch': 'The branch',
    'branches.backToAfter': 'Back to the after-action page',
    'branches.compare': 'Compare with the original game',
  },
  ru: {
    'branches.title': 'Что если? Ответвление от прошлого раунда',
    'branches.hint': 'Начните новую игру с начала раунда (или фазы), до которого дошла эта игра, — такой, какой её видело тогда каждое место: со своим кодом, местами, сроками и ботами. Эта игра не меняется. Ответвление ждёт на паузе, пока вы его не продолжите.',
    'branches.point': 'Начать с',
    'branches.pointOption': '{round} — {phase}',
    'branches.titleLabel': 'Название ответвления',
    'branches.titleDefault': '{title} — что если ({round})',
    'branches.samePeople': 'Посадить тех же людей за их стороны (ссылка для каждого)',
    'branches.create': 'Начать ответвление',
    'branches.created': 'Ответвление начато: код для входа {code}. Оно ждёт на паузе, пока вы не продолжите его на его пульте.',
    'branches.open': 'Открыть пульт ответвления',
    'branches.personLink': 'Ссылка для: {name} ({faction})',
    'branches.note': 'Эта игра — ответвление другой игры, начиная с {round} ({phase}).',
    'branches.parentLink': 'Открыть исходную игру',
    'branches.original': 'Исходная игра',
    'branches.branch': 'Ответвление',
    'branches.backToAfter': 'Назад к итогам игры',
    'branches.compare': 'Сравнить с исходной игрой',
  },
};
