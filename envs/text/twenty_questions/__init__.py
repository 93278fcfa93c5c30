"""Twenty questions (agentgym/TwentyQuestions-v0): ask yes/no questions about a hidden object, then guess it."""
