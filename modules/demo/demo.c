int demo_placeholder;
