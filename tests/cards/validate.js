// Validates Adaptive Cards with the official library (npm "adaptivecards"), the way a host
// parses them: reads a JSON array of cards on stdin, prints a JSON array of each card's problems
// (parse errors, then validateProperties failures) on stdout.
"use strict";
const AC = require("adaptivecards/dist/adaptivecards.js");

function problems(payload) {
  const found = [];
  const card = new AC.AdaptiveCard();
  const context = new AC.SerializationContext(new AC.Version(1, 5));
  card.parse(payload, context);
  for (let i = 0; i < context.eventCount; i++) {
    const event = context.getEventAt(i);
    found.push({ phase: "parse", message: event.message });
  }
  for (const event of card.validateProperties().validationEvents) {
    found.push({ phase: "validate", message: event.message });
  }
  return found;
}

let input = "";
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  const cards = JSON.parse(input);
  process.stdout.write(JSON.stringify(cards.map(problems)));
});
