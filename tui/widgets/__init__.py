"""The app's widgets. They show what they are given and post messages; the main screen routes them."""
